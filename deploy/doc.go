// Package deploy holds no code the services run: its tests check the
// deployment recipes beside it (compose, the Helm chart, the systemd
// units) against what the binaries really read.
package deploy
