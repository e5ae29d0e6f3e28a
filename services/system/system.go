// Package system runs all five services in one process, on one address: the
// quick way to run the whole complaint lifecycle on one machine.
package system

import (
	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/prevention"
	"github.com/complaintflow/complaintflow/services/resolution"
)

// DefaultAddr is where the all-in-one process listens.
const DefaultAddr = "127.0.0.1:8080"

// Services are the five services with their default policies.
func Services(intakeCfg intake.Config) []host.Factory {
	return []host.Factory{
		intake.New(intakeCfg),
		resolution.New(resolution.Config{ConfigDir: intakeCfg.ConfigDir}),
		compensation.New(compensation.Config{ConfigDir: intakeCfg.ConfigDir}),
		followup.New(),
		prevention.New(),
	}
}
