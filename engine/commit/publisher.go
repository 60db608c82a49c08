package commit

import "sync"

// Publisher advances a backend's visible sequence number in commit order:
// past a batch only once it and every batch before it are inserted. The
// zero value is ready to use.
type Publisher struct {
	mu    sync.Mutex
	queue []*Pending // commits not yet published, in sequence order
	head  int
	pool  sync.Pool
}

// Pending is a commit between Enqueue and Finish. It belongs to the
// Publisher: the caller must not use it after Finish.
type Pending struct {
	last      uint64 // last sequence number of the batch
	done      bool
	published bool
	ch        chan struct{}
}

// Enqueue adds a commit whose batch ends at sequence number last. Called
// under the commit mutex, so in sequence order.
func (p *Publisher) Enqueue(last uint64) *Pending {
	c, _ := p.pool.Get().(*Pending)
	if c == nil {
		c = &Pending{ch: make(chan struct{}, 1)}
	}
	c.last, c.done, c.published = last, false, false
	p.mu.Lock()
	if p.head > 0 && p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	}
	p.queue = append(p.queue, c)
	p.mu.Unlock()
	return c
}

// Finish marks c inserted, publishes (stores into visible the last
// sequence number of) every inserted commit at the head of the queue, in
// order, and waits until c itself is published. Safe from many goroutines;
// each Pending is finished exactly once.
func (p *Publisher) Finish(c *Pending, visible interface{ Store(uint64) }) {
	p.mu.Lock()
	c.done = true
	for p.head < len(p.queue) && p.queue[p.head].done {
		h := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		visible.Store(h.last)
		h.published = true
		if h != c {
			h.ch <- struct{}{}
		}
	}
	pub := c.published
	p.mu.Unlock()
	if !pub {
		<-c.ch
	}
	p.pool.Put(c)
}
