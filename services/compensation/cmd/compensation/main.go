// Command compensation runs the compensation service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/platform/host"
)

func main() {
	cfg, err := compensation.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	host.Main("compensation", compensation.DefaultAddr, []host.Unit{{Name: "compensation", Build: compensation.New(cfg)}})
}
