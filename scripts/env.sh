# Sourced by every script: the Go toolchain vigil is built and tested with.
#
# The machines' own Go is 1.26.8, whose standard library has known
# vulnerabilities (net/http, crypto/tls, crypto/x509, html/template …) fixed
# only in 1.26.9 and later; go1.27.3 is the newer toolchain the module proxy
# serves here. The go command fetches it once per machine (about 76 MB, 10 s)
# and caches it. The machines set GOTOOLCHAIN=local globally, so go.mod's
# toolchain line alone is not enough: the scripts export it.
export GOTOOLCHAIN=go1.27.3
