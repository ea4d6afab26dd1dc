# frozen_string_literal: true

require "json"
require "mcpstream_native"
require_relative "mcpstream/version"
require_relative "mcpstream/errors"
require_relative "mcpstream/client"
