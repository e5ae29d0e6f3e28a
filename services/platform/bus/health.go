package bus

import (
	"errors"
	"sync"
)

// Consumers are the running consumers of a process, for its health check:
// the host adds each consumer it starts and answers /healthz with Healthy.
// The zero value is ready to use.
type Consumers struct {
	mu   sync.Mutex
	list []*Consumer
}

// Add registers a running consumer.
func (cs *Consumers) Add(c *Consumer) {
	cs.mu.Lock()
	cs.list = append(cs.list, c)
	cs.mu.Unlock()
}

// Healthy is nil when every consumer runs on its durable, else every
// consumer's error.
func (cs *Consumers) Healthy() error {
	cs.mu.Lock()
	list := append([]*Consumer(nil), cs.list...)
	cs.mu.Unlock()
	var errs []error
	for _, c := range list {
		if err := c.Healthy(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
