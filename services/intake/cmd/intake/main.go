// Command intake runs the intake service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
)

func main() {
	cfg, err := intake.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	host.Main("intake", intake.DefaultAddr, []host.Unit{{Name: "intake", Build: intake.New(cfg), SignsCustomerTokens: true}})
}
