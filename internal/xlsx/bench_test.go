package xlsx_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/testdb"
	"crm/internal/xlsx"
)

// benchRows is the size of the import benchmark: 100 000 customers, an
// ordinary import (SPEC §6).
const benchRows = 100_000

// benchCustomer is generated customer i, as a row of the template.
func benchCustomer(i int) []any {
	campaign := ""
	if i%2 == 0 {
		campaign = "春季展会"
	}
	levels := []string{"A 重点客户", "B 普通客户", "C 一般客户"}
	industries := []string{"制造业", "互联网", "教育", "零售"}
	return []any{fmt.Sprintf("基准客户%06d", i), levels[i%3], industries[i%4], "官网", campaign,
		fmt.Sprintf("021-6%07d", i), fmt.Sprintf("上海市浦东新区某某路 %d 号", i%2000+1), "", "rep", ""}
}

// BenchmarkImport100k imports 100 000 generated customers (a file of the
// customers template) as a management user into a fresh database: the
// preview (read, check, nothing written) and the commit (read and check
// again; chunk by chunk a COPY into the chunk table, one INSERT … SELECT
// with the history, the triggers — chunks_s; then the job — finish_s);
// and, in another fresh database in the same run, a plain COPY of the same
// rows (ids resolved beforehand) into the same table — the floor the
// commit is measured against. It reports seconds, rows/s and the
// commit/COPY ratio, and the peak memory of the commit: Go heap in use
// (sampled every 5 ms) and the process's peak resident set (VmHWM, reset
// before the commit). `make bench-import` runs it once.
func BenchmarkImport100k(b *testing.B) {
	ctx := context.Background()
	data := streamBook(b, customerHeader, benchRows, benchCustomer)
	var preview, commit, chunks, finish, plain time.Duration
	var heapPeak, hwm uint64
	for b.Loop() {
		b.StopTimer()
		db := testdb.New(b)
		o := benchOrg(b, db)
		im := importer(db)
		b.StartTimer()

		start := time.Now()
		id, rep, err := im.Preview(ctx, o.boss, xlsx.TableByName("customers"), "bench.xlsx", data, xlsx.Options{})
		if err != nil || rep.Counts.New != benchRows {
			b.Fatalf("preview: %v %+v %q", err, rep.Counts, messages(rep))
		}
		preview = time.Since(start)

		runtime.GC()
		resetHWM()
		stopSampling := sampleHeap(&heapPeak)
		var wrote atomic.Int64
		im.Progress = func(p crm.ImportProgress) {
			if p.Phase == crm.ProgressWrite {
				wrote.CompareAndSwap(0, time.Now().UnixNano())
			}
		}
		start = time.Now()
		rep, err = im.Commit(ctx, o.boss, id, xlsx.Options{})
		commit = time.Since(start)
		stopSampling()
		hwm = vmHWM()
		if err != nil || rep.Counts.New != benchRows {
			b.Fatalf("commit: %v %+v", err, rep)
		}
		if w := wrote.Load(); w != 0 {
			chunks = time.Unix(0, w).Sub(start)
			finish = commit - chunks
		}

		b.StopTimer()
		plain = plainCopy(b)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(data))/(1<<20), "file_MiB")
	b.ReportMetric(preview.Seconds(), "preview_s")
	b.ReportMetric(commit.Seconds(), "commit_s")
	b.ReportMetric(chunks.Seconds(), "chunks_s")
	b.ReportMetric(finish.Seconds(), "finish_s")
	b.ReportMetric(benchRows/commit.Seconds(), "commit_rows/s")
	b.ReportMetric(plain.Seconds(), "copy_s")
	b.ReportMetric(benchRows/plain.Seconds(), "copy_rows/s")
	b.ReportMetric(commit.Seconds()/plain.Seconds(), "commit/copy")
	b.ReportMetric(float64(heapPeak)/(1<<20), "heap_peak_MiB")
	b.ReportMetric(float64(hwm)/(1<<20), "VmHWM_MiB")
}

// benchOrg is the organisation of the benchmark: departments, the
// importer, the owner named in the file, the campaign.
func benchOrg(b testing.TB, db *postgres.DB) *org {
	o := newOrgOn(b, db)
	if _, err := db.CreateCampaign(context.Background(), o.boss, crm.CampaignInput{Name: "春季展会", Status: crm.CampaignActive}); err != nil {
		b.Fatal(err)
	}
	return o
}

// plainCopy copies the benchmark's rows — the same values the import
// writes, ids resolved beforehand — into the customers of a fresh
// database with one COPY, and returns how long the COPY took.
func plainCopy(b *testing.B) time.Duration {
	ctx := context.Background()
	db := testdb.New(b)
	o := benchOrg(b, db)
	ids := map[string]int64{}
	rows, err := db.Pool.Query(ctx, `SELECT kind || ':' || name, id FROM options UNION ALL SELECT 'campaign:' || name, id FROM campaigns`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			b.Fatal(err)
		}
		ids[k] = id
	}
	idOf := func(k string) any {
		if id, ok := ids[k]; ok {
			return id
		}
		return nil
	}
	src := make([][]any, benchRows)
	for i := range src {
		c := benchCustomer(i)
		src[i] = []any{c[0], idOf("customer_level:" + c[1].(string)), idOf("industry:" + c[2].(string)),
			idOf("source:" + c[3].(string)), idOf("campaign:" + c[4].(string)), c[5], c[6], c[7],
			o.repID, o.east, o.bossID}
	}
	start := time.Now()
	n, err := db.Pool.CopyFrom(ctx, pgx.Identifier{"customers"}, []string{"name", "level_id", "industry_id", "source_id",
		"campaign_id", "phone", "address", "notes", "owner_id", "department_id", "created_by"}, pgx.CopyFromRows(src))
	if err != nil || n != benchRows {
		b.Fatalf("copy: %d %v", n, err)
	}
	return time.Since(start)
}

// sampleHeap records the largest HeapInuse seen until the returned stop
// is called.
func sampleHeap(peak *uint64) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	*peak = 0
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}

// resetHWM resets the process's peak resident set (Linux).
func resetHWM() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// vmHWM is the process's peak resident set in bytes (0 where unknown).
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
