// Command natsusers prepares a NATS server of your own, and the secrets the
// services need, for running the complaint services as separate processes:
//
//	# one nkey seed per user (kept if it exists), and the public keys that
//	# deploy/nats/nats-server.conf reads from the environment
//	natsusers -dir /etc/complaints/nats-users -format env > /etc/complaints/nats.env
//	# or the whole authorization block with the keys filled in
//	natsusers -dir /etc/complaints/nats-users -format conf > users.conf
//	# create the streams and buckets (as complaintctl provision does), as the
//	# operator user, once the server runs
//	natsusers -dir /etc/complaints/nats-users -provision nats://127.0.0.1:4222
//	# the personal-data key-encryption keys: create, or rotate
//	natsusers -kek /etc/complaints/pii-kek
//	natsusers -kek /etc/complaints/pii-kek -rotate
//
// Give each service process its own seed only (NATS_CREDENTIALS_DIR holding
// <service>.nk); keep operator.nk for operators.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/provision"
)

func main() {
	dir := flag.String("dir", "data/nats-users", "folder of the users' nkey seeds")
	format := flag.String("format", "env", "env: NAME_NKEY=<public key> lines for nats-server.conf; conf: the authorization block; none")
	provision := flag.String("provision", "", "NATS URL: create or update the streams and buckets as the operator user")
	ca := flag.String("ca", "", "with -provision: the authority that signed the server's certificate")
	kek := flag.String("kek", "", "personal-data key-encryption key file: create it if missing")
	rotate := flag.Bool("rotate", false, "with -kek: put a new KEK first, keeping the old ones to unwrap")
	flag.Parse()
	if err := run(*dir, *format, *provision, *ca, *kek, *rotate); err != nil {
		fmt.Fprintln(os.Stderr, "natsusers:", err)
		os.Exit(1)
	}
}

func run(dir, format, url, ca, kek string, rotate bool) error {
	if kek != "" {
		r, created, err := pii.LoadKeyRing(kek, true)
		if err != nil {
			return err
		}
		if rotate && !created {
			if r, err = r.Rotate(); err != nil {
				return err
			}
			if err := os.WriteFile(kek, []byte(r.Format()), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "new KEK %s first in %s; restart intake (it rewraps every key at start), then the old lines may go\n", r.Current(), kek)
		}
		return nil
	}
	pubs, err := natsauth.EnsureSeeds(dir)
	if err != nil {
		return err
	}
	switch format {
	case "env":
		for _, u := range natsauth.Users() {
			fmt.Printf("%s=%s\n", natsauth.KeyVariable(u), pubs[u])
		}
	case "conf":
		fmt.Print(natsauth.ServerConf(pubs))
	case "none":
	default:
		return fmt.Errorf("unknown -format %q (env, conf or none)", format)
	}
	if url == "" {
		return nil
	}
	opts, err := natsauth.ClientOptions(dir, natsauth.Operator)
	if err != nil {
		return err
	}
	if ca != "" {
		opts = append(opts, nats.RootCAs(ca))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := provision.Provision(ctx, js); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "streams and buckets ready on %s\n", url)
	return nil
}
