// Command resolution runs the resolution service on its own.
package main

import (
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/resolution"
)

func main() {
	cfg, err := resolution.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Its own declaration: the users of an embedded server, its API user,
	// its keys; the other services declare theirs in their own processes.
	natsauth.Declare(resolution.Declaration)
	host.Main(resolution.Declaration.Name, resolution.DefaultAddr, []host.Unit{{Name: resolution.Declaration.Name, Build: resolution.New(cfg)}})
}
