// Command companysim simulates a company's complaints, drives them through
// the complaint services under a simulated clock and scores the system's
// own reports against the truth.
//
//	companysim run -scenario deploy/scenarios/quiet-year.yaml -seed 1 -out out/quiet-year
//	companysim truth -scenario deploy/scenarios/storm.yaml -seed 1 > truth.json
//	companysim score -url http://127.0.0.1:8080 -truth out/quiet-year/truth.json -scenario ...
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/platform/policy"
	"github.com/complaintflow/complaintflow/services/platform/regime"
	pvdomain "github.com/complaintflow/complaintflow/services/prevention/domain"
	"github.com/complaintflow/complaintflow/tools/client"
	"github.com/complaintflow/complaintflow/tools/companysim"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "run":
		err = run(ctx, os.Args[2:])
	case "truth":
		err = truth(os.Args[2:])
	case "score":
		err = score(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "companysim:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: companysim run|truth|score [flags]
  run    generate a scenario's complaints, drive them through the services in this process on a simulated clock, score the reports
  truth  print a scenario's ground truth (JSON)
  score  score a running system's reports against a truth file`)
	os.Exit(2)
}

func plan(path string, seed uint64) (*companysim.Plan, error) {
	s, err := companysim.Load(path)
	if err != nil {
		return nil, err
	}
	return companysim.Generate(s, seed)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	scenario := fs.String("scenario", "", "scenario file (YAML)")
	seed := fs.Uint64("seed", 1, "seed of the simulation")
	out := fs.String("out", "", "folder for truth.json, score.json and score.html (empty: none written)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run here")
	configDir := fs.String("config", os.Getenv("CONFIG_DIR"), "policy files overriding the embedded defaults, as CONFIG_DIR")
	quiet := fs.Bool("q", false, "no progress on stderr")
	_ = fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	started := time.Now()
	p, err := plan(*scenario, *seed)
	if err != nil {
		return err
	}
	r, err := companysim.Start(ctx, p, *configDir)
	if err != nil {
		return err
	}
	defer r.Close()
	if !*quiet {
		r.Progress = func(day time.Time, complaints, events int) {
			if day.Day() == 1 {
				fmt.Fprintf(os.Stderr, "%s: %d complaints, %d events, %s\n", day.Format(time.DateOnly), complaints, events, time.Since(started).Round(time.Second))
			}
		}
	}
	if err := r.Drive(ctx); err != nil {
		return err
	}
	driven := time.Since(started)
	c := client.New(r.URL, 4)
	c.Auth = client.Credentials{Token: r.Token}
	sc, err := companysim.Score(ctx, c, r.Truth, p.Scenario)
	if err != nil {
		return err
	}
	sc.Table(os.Stdout)
	fmt.Printf("anomalies: %d\n", len(r.Anomalies))
	for _, a := range r.Anomalies {
		fmt.Println("  ", a)
	}
	fmt.Printf("took %s (%d complaints, %d events; simulated to %s)\n", driven.Round(time.Millisecond), len(p.Complaints), r.Events, r.Clock.Now().Format(time.DateOnly))
	if *out == "" {
		return nil
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(*out, "truth.json"), r.Truth); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(*out, "score.json"), sc); err != nil {
		return err
	}
	return companysim.WriteHTML(filepath.Join(*out, "score.html"), sc)
}

func policies(dir string) (companysim.Policies, regime.Policy, error) {
	pol, err := policy.Load[pvdomain.SystemicPolicy](dir, pvdomain.SystemicPolicyName)
	if err != nil {
		return companysim.Policies{}, regime.Policy{}, err
	}
	rules, err := followup.LoadRules(dir)
	if err != nil {
		return companysim.Policies{}, regime.Policy{}, err
	}
	regimes, err := regime.Load(dir)
	return companysim.Policies{Window: pol.Value.Evaluation.Window, Params: pol.Value.Evaluation.Effect(), SurveyDelay: rules.Policy.SurveyDelay,
		TailProbability: pol.Value.Detection.TailProbability, MinCount: pol.Value.Detection.MinCount}, regimes, err
}

func truth(args []string) error {
	fs := flag.NewFlagSet("truth", flag.ExitOnError)
	scenario := fs.String("scenario", "", "scenario file (YAML)")
	seed := fs.Uint64("seed", 1, "seed of the simulation")
	configDir := fs.String("config", os.Getenv("CONFIG_DIR"), "policy files overriding the embedded defaults, as CONFIG_DIR")
	_ = fs.Parse(args)
	p, err := plan(*scenario, *seed)
	if err != nil {
		return err
	}
	eval, regimes, err := policies(*configDir)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(companysim.TruthOf(p, regimes, eval))
}

func score(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("score", flag.ExitOnError)
	url := fs.String("url", client.DefaultURL, "the API")
	scenario := fs.String("scenario", "", "the scenario file the truth comes from")
	truthFile := fs.String("truth", "", "truth.json of the run")
	out := fs.String("out", "", "score.html is written here when set")
	_ = fs.Parse(args)
	s, err := companysim.Load(*scenario)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(*truthFile)
	if err != nil {
		return err
	}
	var t companysim.Truth
	if err := json.Unmarshal(data, &t); err != nil {
		return err
	}
	creds, err := client.LoadCredentials()
	if err != nil {
		return err
	}
	c := client.New(*url, 4)
	c.Auth = creds
	sc, err := companysim.Score(ctx, c, t, s)
	if err != nil {
		return err
	}
	sc.Table(os.Stdout)
	if *out == "" {
		return nil
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	return companysim.WriteHTML(filepath.Join(*out, "score.html"), sc)
}
