package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/history"
	"github.com/vigilhq/vigil/internal/inventory"
)

type inventoryFlags struct {
	root           string
	host           string
	os             string
	internetFacing bool
	rpmFormat      bool
}

func newInventoryCmd() *cobra.Command {
	var f inventoryFlags
	cmd := &cobra.Command{
		Use:   "inventory [--root DIR] [--host NAME] [--os ECOSYSTEM]",
		Short: "Print this host's installed packages as a CycloneDX JSON SBOM, for 'vigil posture'",
		Long: `inventory reads this host's package database (dpkg's /var/lib/dpkg/status or
Alpine's /lib/apk/db/installed) and /etc/os-release, and writes the host's
inventory as a CycloneDX 1.5 JSON document on stdout. When apt's history.log
files are there, each package carries the time its version arrived, so the
server can tell how long ago this host was updated; when apt's configuration
says whether unattended upgrades are on, the document says so too.

Ship it to the vigil server on a timer (POST to /inventory of 'vigil serve'
with the inventory token; see 'vigil serve --help'), or give it to 'vigil
posture'. On RPM systems, use rpm itself:
  rpm -qa --queryformat "$(vigil inventory --rpm-queryformat)" > host.rpm.txt`,
		Example: `  vigil inventory > $(hostname).cdx.json
  vigil inventory --root /mnt/backup-of-mail1 --host mail1 --internet-facing
  vigil inventory | curl -fsS -H @/etc/vigil/inventory.header --data-binary @- https://vigil.example/inventory`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInventory(cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "/", "root of the file system to read")
	fl.StringVar(&f.host, "host", "", "host name to record (default: this host's name)")
	fl.StringVar(&f.os, "os", "", "OSV ecosystem when it cannot be read from the system (Debian:12)")
	fl.BoolVar(&f.internetFacing, "internet-facing", false, "record that the host is reachable from the internet (a mail server)")
	fl.BoolVar(&f.rpmFormat, "rpm-queryformat", false, "print the rpm --queryformat string vigil reads, and exit")
	return cmd
}

func runInventory(stdout, stderr io.Writer, f inventoryFlags) error {
	if f.rpmFormat {
		_, err := io.WriteString(stdout, inventory.RPMQueryFormat)
		return err
	}
	inv, errs, err := inventory.Local(f.root)
	for _, e := range errs {
		_, _ = fmt.Fprintf(stderr, "vigil inventory: %v\n", e) // stderr: nowhere else to report
	}
	if err != nil {
		return usageErrorf("%v", err)
	}
	if f.host != "" {
		inv.Host = f.host
	}
	if f.os != "" {
		inv.SetOS(f.os)
	}
	inv.InternetFacing = f.internetFacing
	if u := history.UnattendedConfig(f.root); u.Known {
		inv.AutoUpdates = map[bool]string{true: "on", false: "off"}[u.Enabled]
	}
	logs, _ := filepath.Glob(filepath.Join(f.root, "var/log/apt/history.log*")) // a bad pattern is impossible here
	if len(logs) > 0 {
		h, herrs, err := history.ReadFiles(logs, time.Local)
		if err == nil {
			for i, p := range inv.Packages {
				if t := h.Arrived(p.Name, p.Version); !t.IsZero() {
					inv.Packages[i].InstalledAt = t
				}
			}
		}
		for _, e := range herrs {
			_, _ = fmt.Fprintf(stderr, "vigil inventory: %v\n", e) // as above
		}
	}
	b, err := inventory.CycloneDX(inv, time.Now(), "dev")
	if err != nil {
		return err
	}
	_, err = stdout.Write(append(b, '\n'))
	return err
}
