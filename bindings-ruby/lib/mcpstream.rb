# frozen_string_literal: true

require "json"
require "mcpstream_native"
require_relative "mcpstream/version"
require_relative "mcpstream/errors"
require_relative "mcpstream/logging"
require_relative "mcpstream/auth"
require_relative "mcpstream/subscription"
require_relative "mcpstream/client"

module MCPStream
  # Forgets the era this process remembered for the server at url: its next client probes
  # again (after the server was upgraded, say).
  def self.forget_verdict(url) = NativeClient.forget_verdict(url.to_s)
end
