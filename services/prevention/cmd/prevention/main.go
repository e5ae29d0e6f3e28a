// Command prevention runs the prevention service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/prevention"
)

func main() {
	cfg, err := prevention.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Its own declaration: the users of an embedded server, its API user,
	// its keys; the other services declare theirs in their own processes.
	natsauth.Declare(prevention.Declaration)
	host.Main(prevention.Declaration.Name, prevention.DefaultAddr, []host.Unit{{Name: prevention.Declaration.Name, Build: prevention.New(cfg)}})
}
