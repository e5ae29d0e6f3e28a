// Command natsusers makes the NATS users of the complaint services for a
// NATS server of your own: one nkey seed per user in a folder (kept if it
// already exists), and either the users' public keys as environment
// variables for deploy/nats/nats-server.conf, or the whole authorization
// block with the keys filled in.
//
//	natsusers -dir /etc/complaints/nats-users -format env  > /etc/complaints/nats.env
//	natsusers -dir /etc/complaints/nats-users -format conf > users.conf
//
// Give each service process its own seed only (NATS_CREDENTIALS_DIR holding
// <service>.nk); keep operator.nk for operators.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

func main() {
	dir := flag.String("dir", "data/nats-users", "folder of the users' nkey seeds")
	format := flag.String("format", "env", "env: KEY=public key lines for nats-server.conf; conf: the authorization block")
	flag.Parse()
	pubs, err := natsauth.EnsureSeeds(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsusers:", err)
		os.Exit(1)
	}
	switch *format {
	case "env":
		for _, u := range natsauth.Users() {
			fmt.Printf("%s=%s\n", natsauth.KeyVariable(u), pubs[u])
		}
	case "conf":
		fmt.Print(natsauth.ServerConf(pubs))
	default:
		fmt.Fprintf(os.Stderr, "natsusers: unknown -format %q (env or conf)\n", *format)
		os.Exit(2)
	}
}
