// Package system runs all five services in one process, on one address: the
// quick way to run the whole complaint lifecycle on one machine.
package system

import (
	"os"

	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/prevention"
	"github.com/complaintflow/complaintflow/services/resolution"
	"github.com/complaintflow/complaintflow/services/system/web"
	"github.com/complaintflow/complaintflow/tools/paysim"
)

// DefaultAddr is where the all-in-one process listens.
const DefaultAddr = "127.0.0.1:8080"

// Services are the five services with their default policies, the browser
// pages under /app/ (a client of their API) and, unless
// PAYSIM=off, the simulated payment system that confirms redress issuance.
func Services(intakeCfg intake.Config) []host.Unit {
	units := []host.Unit{
		{Name: "intake", Build: intake.New(intakeCfg), SignsCustomerTokens: true},
		{Name: "resolution", Build: resolution.New(resolution.Config{ConfigDir: intakeCfg.ConfigDir})},
		{Name: "compensation", Build: compensation.New(compensation.Config{ConfigDir: intakeCfg.ConfigDir})},
		{Name: "followup", Build: followup.NewWithConfig(followup.Config{ConfigDir: intakeCfg.ConfigDir})},
		{Name: "prevention", Build: prevention.New()},
		web.Unit(),
	}
	if os.Getenv("PAYSIM") != "off" {
		units = append(units, paysim.Unit())
	}
	return units
}
