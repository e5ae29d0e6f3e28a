// Command compensation runs the compensation service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/compensation"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

func main() {
	cfg, err := compensation.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Its own declaration: the users of an embedded server, its API user,
	// its keys; the other services declare theirs in their own processes.
	natsauth.Declare(compensation.Declaration)
	host.Main(compensation.Declaration.Name, compensation.DefaultAddr, []host.Unit{{Name: compensation.Declaration.Name, Build: compensation.New(cfg)}})
}
