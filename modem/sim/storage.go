package sim

import "slices"

// Message status in storage, PDU-mode values of TS 27.005 §3.1 <stat>.
const (
	statRecUnread = 0
	statRecRead   = 1
	statStoUnsent = 2
	statStoSent   = 3
	statAll       = 4
)

// slot is one stored message or status report.
type slot struct {
	stat    int
	pdu     string // hex with SMSC prefix, as +CMGR prints it
	tpduLen int
}

// store is one message memory ("SM" or "ME"). Slots are indexed from 0
// internally; the index base (0 or 1) is applied by the AT layer.
type store struct {
	name  string
	slots []*slot // nil entry = free
}

func newStore(name string, capacity int) *store {
	return &store{name: name, slots: make([]*slot, capacity)}
}

func (s *store) used() int {
	n := 0
	for _, sl := range s.slots {
		if sl != nil {
			n++
		}
	}
	return n
}

// view is what a <mem> name designates: "SM", "ME", or "MT" (all memories
// of the ME, TS 27.005 §3.1), which chains SM then ME with continuous
// indexes.
type view struct {
	name   string
	stores []*store
}

func (v view) capacity() int {
	n := 0
	for _, s := range v.stores {
		n += len(s.slots)
	}
	return n
}

func (v view) used() int {
	n := 0
	for _, s := range v.stores {
		n += s.used()
	}
	return n
}

// at returns a pointer to the slot cell for a 0-based index of the view.
func (v view) at(i int) (**slot, bool) {
	if i < 0 {
		return nil, false
	}
	for _, s := range v.stores {
		if i < len(s.slots) {
			return &s.slots[i], true
		}
		i -= len(s.slots)
	}
	return nil, false
}

// put stores sl in the first free cell and returns its 0-based index.
func (v view) put(sl *slot) (int, bool) {
	base := 0
	for _, s := range v.stores {
		if i := slices.Index(s.slots, nil); i >= 0 {
			s.slots[i] = sl
			return base + i, true
		}
		base += len(s.slots)
	}
	return 0, false
}

// each calls f for every used slot in index order.
func (v view) each(f func(i int, sl *slot)) {
	base := 0
	for _, s := range v.stores {
		for i, sl := range s.slots {
			if sl != nil {
				f(base+i, sl)
			}
		}
		base += len(s.slots)
	}
}
