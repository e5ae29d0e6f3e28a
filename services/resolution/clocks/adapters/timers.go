package adapters

import (
	"context"

	"github.com/complaintflow/complaintflow/services/platform/timer"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/app"
)

// OnTimer handles a resolution timer if it is a clock's: handled says so.
func OnTimer(a *app.Clocks) func(ctx context.Context, f timer.Fired) (handled bool, err error) {
	return func(ctx context.Context, f timer.Fired) (bool, error) {
		if !app.Handles(f.Kind) {
			return false, nil
		}
		return true, a.Fire(ctx, f)
	}
}
