// Command intake runs the intake service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

func main() {
	cfg, err := intake.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Its own declaration: the users of an embedded server, its API user,
	// its keys; the other services declare theirs in their own processes.
	natsauth.Declare(intake.Declaration)
	host.Main(intake.Declaration.Name, intake.DefaultAddr, []host.Unit{{Name: intake.Declaration.Name, Build: intake.New(cfg), SignsCustomerTokens: true}})
}
