// Command paysim is a simulated payment and voucher system for the
// complaint services: it confirms every RedressIssuanceRequested on
// complaints.compensation.confirm, connecting as the NATS user "payments"
// (the company's payment systems) and sending a bearer token of the
// payments role with each confirmation: $PAYSIM_TOKEN, else
// $COMPLAINTS_TOKEN, else the "payments" token of the development tokens
// file ($COMPLAINTS_TOKENS_FILE, by default data/dev-tokens.json).
//
//	paysim -nats nats://127.0.0.1:4222 -creds data/nats-users
//	paysim -fail-every 3 -answer-twice   # fail every third request, confirm twice
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/system/paysim"
	"github.com/complaintflow/complaintflow/tools/client"
)

func main() {
	url := flag.String("nats", "nats://127.0.0.1:4222", "NATS server")
	dir := flag.String("creds", "data/nats-users", "folder of the NATS users' credentials (payments.nk or payments.creds)")
	failRate := flag.Float64("fail-rate", 0, "share of requests answered failed (0..1)")
	failEvery := flag.Int("fail-every", 0, "fail every Nth request (0: never)")
	twice := flag.Bool("answer-twice", false, "send every confirmation twice")
	durable := flag.String("durable", paysim.DefaultDurable, "its consumer on the event stream")
	flag.Parse()
	if err := run(*url, *dir, paysim.Options{FailRate: *failRate, FailEvery: *failEvery, AnswerTwice: *twice, Durable: *durable}); err != nil {
		fmt.Fprintln(os.Stderr, "paysim:", err)
		os.Exit(1)
	}
}

func run(url, dir string, o paysim.Options) error {
	o.Token = os.Getenv("PAYSIM_TOKEN")
	if o.Token == "" {
		creds, err := client.LoadCredentials()
		if err != nil {
			return err
		}
		if o.Token = creds.For(client.RolePayments); o.Token == "" {
			return fmt.Errorf("no token of the payments role: set PAYSIM_TOKEN, or start the system first (its %s)", client.DefaultTokensFile)
		}
	}
	opts, err := natsauth.ClientOptions(dir, natsauth.Payments)
	if err != nil {
		return err
	}
	nc, err := nats.Connect(url, append(opts, nats.Name("paysim"), nats.MaxReconnects(-1))...)
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim, err := paysim.Start(ctx, nc, o)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "paysim: confirming issuance requests; Ctrl-C to stop")
	<-ctx.Done()
	sim.Stop()
	s := sim.Stats()
	fmt.Fprintf(os.Stderr, "paysim: %d requests, %d issued, %d failed, %d answers sent (%s)\n", s.Requests, s.Issued, s.Failed, s.Answers, time.Now().Format(time.RFC3339))
	return nil
}
