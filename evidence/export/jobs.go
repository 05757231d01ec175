package export

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Jobs runs exports in the background for the API, one at a time (an
// export is bound by the disk and SHA-256: running several at once only
// slows each). Finished jobs are kept for a while for their status.
type Jobs struct {
	Exporter *Exporter
	// MaxQueued bounds the waiting exports.
	MaxQueued int
	// OnDone, if set, is told of each finished job (done or failed), on
	// the worker goroutine: the workflow records the bundle with it.
	OnDone func(Job)

	mu     sync.Mutex
	jobs   map[string]*Job
	order  []string
	queue  chan *Job
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// Job is one export's state.
type Job struct {
	ID       string    `json:"id"`
	State    string    `json:"state"` // queued, running, done, failed
	Error    string    `json:"error,omitempty"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitzero"`
	Request  Request   `json:"-"`
	Result   Result    `json:"-"`
}

const keepJobs = 200

// ErrBusy is returned when too many exports are waiting.
var ErrBusy = errors.New("too many exports waiting; try again later")

// Initialize starts the worker.
func (j *Jobs) Initialize() {
	if j.MaxQueued == 0 {
		j.MaxQueued = 16
	}
	j.jobs = map[string]*Job{}
	j.queue = make(chan *Job, j.MaxQueued)
	j.ctx, j.cancel = context.WithCancel(context.Background())
	j.done = make(chan struct{})
	go j.run()
}

// Close stops the worker; a running export is abandoned (its folder removed).
func (j *Jobs) Close() {
	j.cancel()
	<-j.done
}

// Start validates and queues an export.
func (j *Jobs) Start(r Request) (Job, error) {
	if err := r.Validate(); err != nil {
		return Job{}, err
	}
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	job := &Job{ID: r.ID, State: "queued", Created: time.Now().UTC(), Request: r}
	j.mu.Lock()
	defer j.mu.Unlock()
	if old, ok := j.jobs[r.ID]; ok && (old.State == "queued" || old.State == "running") {
		return *old, nil // already under way
	}
	select {
	case j.queue <- job:
	default:
		return Job{}, ErrBusy
	}
	j.jobs[job.ID] = job
	j.order = append(j.order, job.ID)
	if len(j.order) > keepJobs {
		delete(j.jobs, j.order[0])
		j.order = j.order[1:]
	}
	return *job, nil
}

// Get returns a job's state.
func (j *Jobs) Get(id string) (Job, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job, ok := j.jobs[id]
	if !ok {
		return Job{}, false
	}
	return *job, true
}

func (j *Jobs) run() {
	defer close(j.done)
	for {
		select {
		case <-j.ctx.Done():
			return
		case job := <-j.queue:
			j.set(job, func(job *Job) { job.State = "running" })
			res, err := j.Exporter.Export(j.ctx, job.Request)
			j.set(job, func(job *Job) {
				job.Finished, job.Result = time.Now().UTC(), res
				if err != nil {
					job.State, job.Error = "failed", fmt.Sprint(err)
				} else {
					job.State = "done"
				}
			})
			if j.OnDone != nil {
				j.OnDone(job.snapshot(&j.mu))
			}
		}
	}
}

func (job *Job) snapshot(mu *sync.Mutex) Job {
	mu.Lock()
	defer mu.Unlock()
	return *job
}

func (j *Jobs) set(job *Job, f func(*Job)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(job)
}
