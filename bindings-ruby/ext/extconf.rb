# frozen_string_literal: true

# Writes the Makefile RubyGems runs to build the native extension with cargo. It needs no gem
# beyond Ruby's own (rubygems.org may be unreachable). The cargo target directory is removed
# after install unless CARGO_TARGET_DIR names one to keep (as `make test` does, for speed).
require "rbconfig"

root = File.expand_path("../..", __dir__)
keep = ENV.key?("CARGO_TARGET_DIR")
target = ENV.fetch("CARGO_TARGET_DIR", File.join(Dir.pwd, "cargo-target"))
cargo = ENV.fetch("CARGO", "cargo")
so = "mcpstream_native.#{RbConfig::CONFIG['DLEXT']}"

# Newer RubyGems pass sitearchdir to `make install`; older ones do not, and then the gem's own
# lib directory (on its require path) is the place.
File.write("Makefile", <<~MAKE)
  sitearchdir ?= #{root}/bindings-ruby/lib

  all: #{so}

  #{so}:
  \tRUBY=#{RbConfig.ruby} #{cargo} build --release -p mcpstream-ruby --manifest-path #{root}/Cargo.toml --target-dir #{target}
  \tcp #{target}/release/libmcpstream_ruby.so #{so}

  install: #{so}
  \tmkdir -p $(sitearchdir)
  \tcp #{so} $(sitearchdir)/
  #{keep ? "" : "\trm -rf #{target}"}

  clean:
  \trm -f #{so}
MAKE
