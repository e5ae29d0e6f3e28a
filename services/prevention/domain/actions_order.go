package domain

import (
	"strings"
	"time"
)

// ActionStatusNamed is the status a name (ActionStatus.String) stands for:
// ActionUnknown for a name no status has.
func ActionStatusNamed(name string) ActionStatus {
	for s := ActionOpen; s <= ActionEvaluated; s++ {
		if s.String() == name {
			return s
		}
	}
	return ActionUnknown
}

// Done says the change is made: the action is completed, or its effect
// measured. Open and overdue actions are still to do.
func (s ActionStatus) Done() bool { return s == ActionCompleted || s == ActionEvaluated }

// ActionListKey is an action's place in a list of actions. The order is
// the one a process owner works down:
//
//   - the actions still to do (open, overdue) first, the soonest due first,
//     so that the overdue lead;
//   - then the actions done (completed, evaluated), the latest completed
//     first;
//   - the id (ascending) between actions of the same time.
//
// Every action has one place, so a page's last key (its cursor) continues
// the list where it stopped, whatever was added before it.
type ActionListKey struct {
	Done bool
	// At is the due time of an action still to do, the completion time of
	// one done.
	At time.Time
	ID string
}

// ActionListKeyOf is the key of an action of a status, due and completed
// (zero while not completed) at the times given.
func ActionListKeyOf(id string, s ActionStatus, due, completed time.Time) ActionListKey {
	if s.Done() {
		return ActionListKey{Done: true, At: completed, ID: id}
	}
	return ActionListKey{At: due, ID: id}
}

// Compare is -1 when k comes before o in the list, 1 after, 0 for the same
// place.
func (k ActionListKey) Compare(o ActionListKey) int {
	switch {
	case k.Done != o.Done:
		if k.Done {
			return 1
		}
		return -1
	case !k.At.Equal(o.At):
		if k.Done {
			return o.At.Compare(k.At)
		}
		return k.At.Compare(o.At)
	}
	return strings.Compare(k.ID, o.ID)
}
