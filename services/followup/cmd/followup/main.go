// Command followup runs the followup service on its own.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/platform/host"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := host.ConfigFromEnv(followup.DefaultAddr, false)
	if err == nil {
		err = host.Run(ctx, cfg, "followup", followup.New())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "followup:", err)
		os.Exit(1)
	}
}
