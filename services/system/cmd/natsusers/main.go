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
//	# one folder per service process holding only its own seeds
//	# (<service>.nk, <service>-api.nk), to give it as NATS_CREDENTIALS_DIR
//	natsusers -dir /etc/complaints/nats-users -format none -split /etc/complaints/creds
//	# the personal-data key-encryption keys: create, or rotate (atomically,
//	# keeping the older KEKs; complaintctl kek does the same and more)
//	natsusers -kek /etc/complaints/pii-kek
//	natsusers -kek /etc/complaints/pii-kek -rotate
//
// Give each service process its own seeds only; keep operator.nk for
// operators. A service never uses the operator's seed, and outside
// development it refuses to start without its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/provision"
	"github.com/complaintflow/complaintflow/services/system"
)

func main() {
	dir := flag.String("dir", "data/nats-users", "folder of the users' nkey seeds")
	format := flag.String("format", "env", "env: NAME_NKEY=<public key> lines for nats-server.conf; conf: the authorization block; none")
	provision := flag.String("provision", "", "NATS URL: create or update the streams and buckets as the operator user")
	ca := flag.String("ca", "", "with -provision: the authority that signed the server's certificate")
	kek := flag.String("kek", "", "personal-data key-encryption key file: create it if missing")
	rotate := flag.Bool("rotate", false, "with -kek: put a new KEK first, keeping the old ones to unwrap")
	split := flag.String("split", "", "write one folder per service process under this folder, <service>/ holding only that service's seeds")
	flag.Parse()
	if *kek != "" {
		if err := kekFile(*kek, *rotate); err != nil {
			fmt.Fprintln(os.Stderr, "natsusers:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*dir, *format, *provision, *ca, *split); err != nil {
		fmt.Fprintln(os.Stderr, "natsusers:", err)
		os.Exit(1)
	}
}

// kekFile creates the KEK file if it is missing, or with rotate puts a new
// KEK first; both write atomically, and rotation keeps the older KEKs.
func kekFile(path string, rotate bool) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		r, err := pii.CreateKeyRingFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "KEK %s created in %s\n", r.Current(), path)
		return nil
	}
	if !rotate {
		_, err := pii.LoadKeyRing(path)
		return err
	}
	r, err := pii.RotateKeyRingFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "new KEK %s first in %s; restart intake (it rewraps every key at start), "+
		"then complaintctl kek retire -file %s drops the KEKs no key needs\n", r.Current(), path, path)
	return nil
}

// splitByProcess copies each service's seeds into a folder of its own under
// root: the folder a service process is given, and nothing else. The
// services are every one the all-in-one process knows (system.Declarations),
// as are the users and permissions it writes.
func splitByProcess(dir, root string) error {
	for _, s := range system.Declarations {
		own := filepath.Join(root, s.Name)
		if err := os.MkdirAll(own, 0o700); err != nil {
			return err
		}
		for _, u := range natsauth.ProcessUsers(s.Name) {
			b, err := os.ReadFile(natsauth.SeedFile(dir, u))
			if err != nil {
				return err
			}
			if err := os.WriteFile(natsauth.SeedFile(own, u), b, 0o600); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(os.Stderr, "one folder per service process under %s, each holding only its own seeds\n", root)
	return nil
}

func run(dir, format, url, ca, split string) error {
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
	if split != "" {
		if err := splitByProcess(dir, split); err != nil {
			return err
		}
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
