// Command resolution runs the resolution service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/resolution"
)

func main() {
	cfg, err := resolution.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	host.Main("resolution", resolution.DefaultAddr, []host.Unit{{Name: "resolution", Build: resolution.New(cfg)}})
}
