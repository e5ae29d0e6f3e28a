// Command followup runs the followup service on its own.
package main

import (
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

func main() {
	// Its own declaration: the users of an embedded server, its API user,
	// its keys; the other services declare theirs in their own processes.
	natsauth.Declare(followup.Declaration)
	host.Main(followup.Declaration.Name, followup.DefaultAddr, []host.Unit{{Name: followup.Declaration.Name, Build: followup.New()}})
}
