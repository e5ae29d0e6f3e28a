// Command prevention runs the prevention service on its own.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/prevention"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := host.ConfigFromEnv(prevention.DefaultAddr, false)
	if err == nil {
		err = host.Run(ctx, cfg, "prevention", prevention.New())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "prevention:", err)
		os.Exit(1)
	}
}
