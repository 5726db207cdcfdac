package runtime

// activityList is a doubly linked list of groups through their prev and next fields.
type activityList struct{ head, tail *group }

func (l *activityList) pushBack(g *group) {
	g.prev, g.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = g
	} else {
		l.head = g
	}
	l.tail = g
}

func (l *activityList) remove(g *group) {
	if g.prev != nil {
		g.prev.next = g.next
	} else {
		l.head = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	} else {
		l.tail = g.prev
	}
	g.prev, g.next = nil, nil
}

func (l *activityList) moveToBack(g *group) {
	if l.tail == g {
		return
	}
	l.remove(g)
	l.pushBack(g)
}
