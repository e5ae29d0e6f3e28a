package auth

import "time"

// SetClock sets the clock customer tokens are issued and checked by.
func SetClock(c *CustomerTokens, now func() time.Time) { c.now = now }
