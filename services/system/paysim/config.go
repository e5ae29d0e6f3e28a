package paysim

import "fmt"

// Config is what the simulator run in the all-in-one process reads from
// the environment, with the rest of that process's configuration
// (system.ConfigFromEnv).
type Config struct {
	// Token is the bearer token of the payments role its confirmations
	// carry (PAYSIM_TOKEN); empty: the process's development token of that
	// role.
	Token string `env:"PAYSIM_TOKEN"`
	// FailRate is the share of requests answered "failed", 0 to 1
	// (PAYSIM_FAIL_RATE).
	FailRate float64 `env:"PAYSIM_FAIL_RATE"`
	// FailEvery fails every Nth request, 0 never (PAYSIM_FAIL_EVERY).
	FailEvery int `env:"PAYSIM_FAIL_EVERY"`
	// AnswerTwice sends every confirmation twice (PAYSIM_ANSWER_TWICE).
	AnswerTwice bool `env:"PAYSIM_ANSWER_TWICE"`
}

// Check refuses what Start would refuse, naming the variables.
func (c Config) Check() error {
	if err := checkFailures(c.FailRate, c.FailEvery); err != nil {
		return fmt.Errorf("PAYSIM_FAIL_RATE %v, PAYSIM_FAIL_EVERY %d: %w", c.FailRate, c.FailEvery, err)
	}
	return nil
}
