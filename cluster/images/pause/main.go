// Command pause is the pod sandbox process: it holds the pod's namespaces, sleeping until told to
// stop, and reaps orphaned children as PID 1 should. Built statically from this file for the local
// cluster (containerd's sandbox_image); the upstream pause image is not reachable here.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
