// Package app holds prevention's use cases. Today they are queries only
// (queries.go): reports read from projections over the whole log. The read
// models they need are declared here and fed by the adapters.
package app

import (
	"time"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// ServiceName is prevention's name.
const ServiceName = "prevention"

// RootCauseView is the root-cause report as folded so far: a copy the
// caller may keep, and the log position it reflects.
type RootCauseView interface {
	RootCauses() (domain.RootCauses, eventlog.Position)
}

// Prevention is the prevention application.
type Prevention struct {
	rootCauses RootCauseView
	now        func() time.Time
}

// New builds the application over its read models.
func New(rootCauses RootCauseView) *Prevention {
	return &Prevention{rootCauses: rootCauses, now: func() time.Time { return time.Now().UTC() }}
}
