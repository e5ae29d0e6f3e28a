// Command prevention runs the prevention service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/prevention"
)

func main() {
	cfg, err := prevention.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	host.Main("prevention", prevention.DefaultAddr, []host.Unit{{Name: "prevention", Build: prevention.New(cfg)}})
}
