// Command intake runs the intake service on its own.
package main

import (
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
)

func main() {
	host.Main("intake", intake.DefaultAddr, []host.Unit{{Name: "intake", Build: intake.New(intake.ConfigFromEnv())}})
}
