package xlsx

import (
	"context"
	"crm/internal/crm"
	"sync"
	"sync/atomic"
	"time"
)

// progressEvery is how often a running commit writes its progress (and,
// unchanged, its heartbeat) to the job; progressSoon how soon after a
// chunk of rows it writes at the earliest.
const (
	progressEvery = 500 * time.Millisecond
	progressSoon  = 100 * time.Millisecond
)

// progress writes the progress of one commit to its job from a goroutine
// of its own, through the pool — that is, from a connection and a
// transaction other than the commit's, so that the writes are visible at
// once to any instance while the commit's transaction is open (and
// survive its rollback, until clear).
type progress struct {
	im    *Importer
	job   int64
	total int
	done  atomic.Int64
	ph    atomic.Value // string
	quit  chan struct{}
	poke  chan struct{}
	last  atomic.Int64 // unix nanoseconds of the last write
	wg    sync.WaitGroup
	once  sync.Once
}

// startProgress starts writing the progress of the commit of job, whose
// file has total rows.
func (im *Importer) startProgress(job int64, total int) *progress {
	p := &progress{im: im, job: job, total: total, quit: make(chan struct{}), poke: make(chan struct{}, 1)}
	p.ph.Store(crm.ProgressCheck)
	p.write()
	p.wg.Go(func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				p.write()
			case <-p.poke:
				p.write()
			}
		}
	})
	return p
}

// checked hears how many rows have been checked, and has them written
// soon.
func (p *progress) checked(n int) {
	p.done.Store(int64(n))
	if time.Since(time.Unix(0, p.last.Load())) >= progressSoon {
		select {
		case p.poke <- struct{}{}:
		default:
		}
	}
}

// phase moves to the next phase.
func (p *progress) phase(ph string) {
	p.ph.Store(ph)
	p.write()
}

func (p *progress) write() {
	p.last.Store(time.Now().UnixNano())
	ph, done := p.ph.Load().(string), int(p.done.Load())
	if ph == crm.ProgressWrite {
		done = p.total
	}
	// Not the commit's context: a cancelled request still says where it
	// stopped, and the commit never waits long for its progress.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.im.DB.SetImportProgress(ctx, p.job, ph, done, p.total)
	if p.im.Progress != nil {
		now := time.Now()
		p.im.Progress(crm.ImportProgress{Phase: ph, Done: done, Total: p.total, At: &now, Running: true})
	}
}

// stop ends the writes (and waits for one under way).
func (p *progress) stop() {
	p.once.Do(func() {
		close(p.quit)
		p.wg.Wait()
	})
}

// clear says that no commit runs any more (after one that failed).
func (p *progress) clear() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.im.DB.SetImportProgress(ctx, p.job, "", 0, 0)
}
