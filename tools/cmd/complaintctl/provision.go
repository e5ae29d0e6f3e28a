package main

import (
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/provision"
)

const provisionUsage = "[-nats URL[,URL...]] [-creds FILE] [-replicas N]"

// clusterReplicas is how many copies of each stream provision keeps on a
// cluster unless told otherwise: one server may be lost, or stopped for an
// upgrade, with every stream still writable.
const clusterReplicas = 3

// cmdProvision creates the streams and buckets the services share, or
// brings their settings up to date, as the operator (package provision).
// The services only check them at start. Running it again changes nothing;
// running it with another replica count scales every stream in place.
func cmdProvision(g *cli, args []string) error {
	fs := g.flags("provision", provisionUsage)
	natsURL := fs.String("nats", envOr("NATS_URL", defaultNATSURL), "NATS server URL, or every node's URL comma-separated ($NATS_URL)")
	creds := fs.String("creds", os.Getenv("NATS_CREDS"), "the operator's NATS credentials: a .creds file or an nkey seed file ($NATS_CREDS)")
	replicas := fs.Int("replicas", 0, fmt.Sprintf("copies of each stream and bucket, each on its own server (0: 1 on a single server, %d on a cluster)", clusterReplicas))
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fmt.Fprintln(g.stderr, "complaintctl: provision takes no arguments")
		fs.Usage()
		return errUsage
	}
	if *replicas < 0 {
		fmt.Fprintln(g.stderr, "complaintctl: -replicas must be 0 (chosen from the server) or more")
		fs.Usage()
		return errUsage
	}
	ctx, cancel := g.context()
	defer cancel()
	nc, err := connectNATS(*natsURL, *creds)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	n := *replicas
	if n == 0 {
		n = 1
		if nc.ConnectedClusterName() != "" {
			n = clusterReplicas
		}
	}
	if err := provision.Provision(ctx, js, provision.Replicas(n)); err != nil {
		return err
	}
	if err := provision.Check(ctx, js); err != nil {
		return err
	}
	names := provision.StreamNames()
	return g.print(names, func(w io.Writer) {
		for _, name := range names {
			fmt.Fprintf(w, "%s ready (replicas: %d)\n", name, n)
		}
	})
}
