// Command complaints runs the whole complaint lifecycle — intake, resolution,
// compensation, follow-up and prevention — in one process, on the embedded
// event log unless NATS_URL or EVENTSTORE_URL say otherwise.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system"
)

func main() {
	cfg, err := intake.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sys, err := system.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	host.Main("complaints", system.DefaultAddr, system.Services(cfg, sys.Options()...), host.RelayByDefault())
}
