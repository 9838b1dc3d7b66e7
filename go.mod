module github.com/vigilhq/vigil

go 1.26.8

require (
	github.com/emersion/go-message v0.18.2
	github.com/spf13/cobra v1.10.2
	github.com/valyala/fastjson v1.6.10
	golang.org/x/text v0.43.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)

toolchain go1.27.3
