package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/complaintflow/complaintflow/services/api"
)

type (
	Clocks     = api.Clocks
	Clock      = api.Clock
	ClockEvent = api.ClockEvent
)

// Clocks returns a complaint's clocks (regulatory and internal), their
// states and the clock events so far.
func (c *Client) Clocks(ctx context.Context, id string) (Clocks, error) {
	var out Clocks
	_, err := c.do(ctx, RoleAgent, http.MethodGet, "/v1/clocks/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}
