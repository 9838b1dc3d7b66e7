module github.com/vigilhq/vigil

go 1.26.8

require (
	github.com/google/osv-scalibr v0.5.3
	github.com/spf13/cobra v1.10.2
	github.com/valyala/fastjson v1.6.10
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)

toolchain go1.27.3
