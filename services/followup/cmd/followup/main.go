// Command followup runs the followup service on its own.
package main

import (
	"github.com/complaintflow/complaintflow/services/followup"
	"github.com/complaintflow/complaintflow/services/platform/host"
)

func main() {
	host.Main("followup", followup.DefaultAddr, []host.Unit{{Name: "followup", Build: followup.New()}})
}
