package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"crm/internal/crm"
	"crm/internal/postgres"
	"crm/internal/server"
	"crm/internal/testdb"
)

// benchRows is how many records of every kind the benchmark's customer
// has (docs/performance.md, "Record pages").
const benchRows = 500

// BenchmarkRecordPages requests the pages of a customer with benchRows
// records of every kind (testdb.FillCustomer), of its newest opportunity
// (benchRows quotes, orders and follow-ups) and of its newest order
// (benchRows payments and invoices), and of a small customer (3 of each)
// beside them, signed in as the customers' owner,
// through the real router over httptest, and reports each page's size.
//
//	go test -run '^$' -bench BenchmarkRecordPages -benchtime 200x ./internal/server/
func BenchmarkRecordPages(b *testing.B) {
	ctx := context.Background()
	db := testdb.New(b)
	dept := mustDepartment(b, db, "大客户部", 0)
	rep := mustEmployee(b, db, "bigrep", crm.RoleSalesRep, dept)
	u, err := db.LoadSessionUser(ctx, rep, 0)
	if err != nil {
		b.Fatal(err)
	}
	cust, err := db.CreateCustomer(ctx, u.Actor, crm.CustomerInput{Name: "大客户集团"}, postgres.NewOwner{})
	if err != nil {
		b.Fatal(err)
	}
	filled := testdb.FillCustomer(b, db, cust, benchRows)
	small, err := db.CreateCustomer(ctx, u.Actor, crm.CustomerInput{Name: "小客户"}, postgres.NewOwner{})
	if err != nil {
		b.Fatal(err)
	}
	testdb.FillCustomer(b, db, small, 3)

	ts := httptest.NewServer(server.New(server.Config{DB: db, Log: slog.New(slog.DiscardHandler), LoginDelayStep: time.Millisecond}))
	b.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(ts.URL+"/login", url.Values{"username": {"bigrep"}, "password": {testPassword}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %v %v", err, res)
	}
	res.Body.Close()

	for _, p := range []struct{ name, path string }{
		{"customer", "/customers/" + strconv.FormatInt(cust, 10)},
		{"customer-small", "/customers/" + strconv.FormatInt(small, 10)},
		{"opportunity", "/opportunities/" + strconv.FormatInt(filled.Opportunity, 10)},
		{"order", "/orders/" + strconv.FormatInt(filled.Order, 10)},
	} {
		get := func(b *testing.B) (time.Duration, int) {
			start := time.Now()
			res, err := hc.Get(ts.URL + p.path)
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusOK {
				b.Fatalf("%s: %d %v", p.path, res.StatusCode, err)
			}
			return time.Since(start), len(body)
		}
		b.Run(p.name, func(b *testing.B) {
			var size int
			var took []time.Duration
			for b.Loop() {
				d, n := get(b)
				took, size = append(took, d), n
			}
			reportPercentiles(b, took)
			b.ReportMetric(float64(size), "bytes/page")
		})
		b.Run(p.name+"-c16", func(b *testing.B) {
			var mu sync.Mutex
			var took []time.Duration
			b.SetParallelism(8) // 16 clients on 2 CPUs
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					d, _ := get(b)
					mu.Lock()
					took = append(took, d)
					mu.Unlock()
				}
			})
			reportPercentiles(b, took)
		})
	}
}

// reportPercentiles reports the median and the 99th percentile of took.
func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
