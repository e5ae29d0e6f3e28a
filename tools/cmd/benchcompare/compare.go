package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// side is one of the two versions compared.
type side struct {
	// Name is BASE or HEAD.
	Name string `json:"name"`
	// Rev is what the command was given (BASE) or "work tree".
	Rev string `json:"rev"`
	// Commit is the commit built; Dirty says the work tree had uncommitted
	// changes, which were built too.
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty,omitempty"`

	tree   string // the source tree: the BASE worktree, or the repository
	server string // its built all-in-one binary
}

// compare builds both sides and runs the rounds.
func compare(ctx context.Context, cfg config, log io.Writer) (*comparison, error) {
	repo, err := gitOut(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("not in a git repository: %w", err)
	}
	baseCommit, err := gitOut(ctx, repo, "rev-parse", "--verify", cfg.base+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("BASE %q is not a commit: %w", cfg.base, err)
	}
	headCommit, err := gitOut(ctx, repo, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	status, err := gitOut(ctx, repo, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return nil, err
	}

	tmp, err := os.MkdirTemp("", "benchcompare-")
	if err != nil {
		return nil, err
	}
	if cfg.keep {
		fmt.Fprintf(log, "benchcompare: keeping %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	base := &side{Name: "BASE", Rev: cfg.base, Commit: baseCommit, tree: filepath.Join(tmp, "base-src")}
	head := &side{Name: "HEAD", Rev: "work tree", Commit: headCommit, Dirty: status != "", tree: repo}

	fmt.Fprintf(log, "benchcompare: BASE %s (%s) in a temporary worktree\n", cfg.base, short(baseCommit))
	if _, err := gitOut(ctx, repo, "worktree", "add", "--detach", base.tree, baseCommit); err != nil {
		return nil, fmt.Errorf("worktree of BASE: %w", err)
	}
	defer func() {
		// A fresh context: the worktree goes even after an interrupt.
		if _, err := gitOut(context.Background(), repo, "worktree", "remove", "--force", base.tree); err != nil {
			fmt.Fprintf(log, "benchcompare: removing the worktree %s: %v\n", base.tree, err)
		}
	}()

	bin := filepath.Join(tmp, "bin")
	loadgen := filepath.Join(bin, "loadgen")
	base.server = filepath.Join(bin, "base", "complaints")
	head.server = filepath.Join(bin, "head", "complaints")
	for _, b := range []struct{ what, dir, pkg, out string }{
		{"BASE's complaints", base.tree, "./services/system/cmd/complaints", base.server},
		{"the work tree's complaints", repo, "./services/system/cmd/complaints", head.server},
		{"the work tree's loadgen", repo, "./tools/cmd/loadgen", loadgen},
	} {
		fmt.Fprintf(log, "benchcompare: building %s\n", b.what)
		start := time.Now()
		if err := goBuild(ctx, b.dir, b.pkg, b.out); err != nil {
			return nil, fmt.Errorf("building %s: %w", b.what, err)
		}
		fmt.Fprintf(log, "benchcompare: built %s in %s\n", b.what, time.Since(start).Round(time.Second))
	}

	cmp := &comparison{Base: *base, Head: *head, Rounds: cfg.rounds, N: cfg.n, C: cfg.c, Watch: cfg.watch}
	for r := 0; r < cfg.rounds; r++ {
		order := []*side{base, head}
		if r%2 == 1 {
			order = []*side{head, base}
		}
		for _, s := range order {
			fmt.Fprintf(log, "benchcompare: round %d of %d: %s\n", r+1, cfg.rounds, s.Name)
			res, err := measure(ctx, cfg, s, loadgen, filepath.Join(tmp, fmt.Sprintf("run-%d-%s", r+1, strings.ToLower(s.Name))), log)
			if err != nil {
				return nil, fmt.Errorf("%s, round %d: %w", s.Name, r+1, err)
			}
			res.Round = r + 1
			if s == base {
				cmp.BaseRuns = append(cmp.BaseRuns, res)
			} else {
				cmp.HeadRuns = append(cmp.HeadRuns, res)
			}
		}
	}
	cmp.summarize()
	return cmp, nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// gitOut runs git in dir and answers its trimmed output.
func gitOut(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// goBuild builds pkg of the module tree at dir into out. -trimpath keeps
// the build cache useful across temporary worktrees.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = dir
	// The tree's own go.work, not one the environment names.
	cmd.Env = append(withoutEnv(os.Environ(), "GOWORK"), "GOWORK=")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, b)
	}
	return nil
}

func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// withoutEnv drops the variables named (and those starting with a name
// ending in "*") from env.
func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
next:
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		for _, n := range names {
			if p, ok := strings.CutSuffix(n, "*"); ok && strings.HasPrefix(k, p) || k == n {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
