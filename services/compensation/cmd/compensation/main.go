// Command compensation runs the compensation service on its own.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/compensation/domain"
	"github.com/complaintflow/complaintflow/services/platform/host"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := host.ConfigFromEnv(compensation.DefaultAddr, false)
	if err == nil {
		err = host.Run(ctx, cfg, "compensation", compensation.New(domain.DefaultPolicy()))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compensation:", err)
		os.Exit(1)
	}
}
