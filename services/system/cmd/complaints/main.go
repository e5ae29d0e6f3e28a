// Command complaints runs the whole complaint lifecycle — intake, resolution,
// compensation, follow-up and prevention — in one process, on the embedded
// event log unless NATS_URL or EVENTSTORE_URL say otherwise.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/system"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := host.ConfigFromEnv(system.DefaultAddr, true)
	if err == nil {
		err = host.Run(ctx, cfg, "complaints", system.Services(intake.ConfigFromEnv())...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "complaints:", err)
		os.Exit(1)
	}
}
