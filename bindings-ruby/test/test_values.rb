# frozen_string_literal: true

require_relative "test_helper"

# Arguments and results cross into the native layer as Ruby objects, not JSON text: the server
# must read what it read from JSON.generate's text, and a call must return what JSON.parse made
# of the result's text, errors included.
class TestValues < Minitest::Test
  include ServerTest

  NESTED = { "list" => [1, [2, [3, { "deep" => [] }]], {}], "empty_hash" => {}, "empty_list" => [] }.freeze
  # Fixnums, Bignums within 64 bits, and u64's top.
  INTEGERS = [0, -1, 2**62 - 1, 2**62, -2**62 - 1, 2**63 - 1, -2**63, 2**64 - 1].freeze
  # -1.5e-300: serde_json without its float_roundtrip feature reads it one ULP off.
  FLOATS = [1.0, -0.0, 0.1, 1e300, 123.456, 2.0**60, 5e-324, 1.7976931348623157e308, -1.5e-300].freeze
  TEXTS = ["", "plain", "ünïcödé", "日本語", "astral 😀 𝄞", "\" \\ / \u0000 \u001f \u007f \u2028"].freeze
  ARGUMENTS = { "text" => "hi", "nested" => NESTED, "integers" => INTEGERS, "floats" => FLOATS,
                "texts" => TEXTS, "others" => [true, false, nil] }.freeze

  # Counts JSON.generate calls on threads that ask, to tell the direct route from the text route.
  module CountGenerate
    def generate(...)
      Thread.current[:mcpstream_generated] += 1 if Thread.current[:mcpstream_generated]
      super
    end
  end
  JSON.singleton_class.prepend(CountGenerate)

  # How often the block made JSON.generate write.
  def generated
    Thread.current[:mcpstream_generated] = 0
    yield
    Thread.current[:mcpstream_generated]
  ensure
    Thread.current[:mcpstream_generated] = nil
  end

  def connected(srv)
    MCPStream::Client.new(srv.url, standalone_stream: false).tap(&:connect)
  end

  # What the server read of the last tools/call, as its record shows it.
  def last_arguments(srv) = srv.posts("tools/call").last["body"]["params"]["arguments"]

  # What the server reads of JSON.generate's text for these arguments, through the same
  # record: the text route the client took before.
  def read_from_text(srv, arguments)
    params = %({"name":"echo","arguments":#{JSON.generate(arguments)}})
    body = %({"jsonrpc":"2.0","id":1,"method":"tools/call","params":#{params}})
    headers = { "content-type" => "application/json", "accept" => "application/json, text/event-stream" }
    uri = URI(srv.url)
    Net::HTTP.start(uri.host, uri.port, read_timeout: 5) { |http| http.post(uri.path, body, headers) }
    last_arguments(srv)
  end

  # Sends arguments both ways and checks the server read the same.
  def assert_sent_as_text(srv, client, arguments, route: :direct)
    writes = generated { client.call_tool("echo", arguments) }
    assert_equal route == :direct ? 0 : 1, writes, "JSON.generate calls for #{arguments.inspect}"
    sent = last_arguments(srv)
    assert_same_json read_from_text(srv, arguments), sent
    sent
  end

  # Deep equality that tells 1 from 1.0, 0.0 from -0.0 and checks encodings, as == does not.
  def assert_same_json(expected, actual, path = "")
    assert_equal expected.class, actual.class, "class at #{path}"
    case expected
    when Hash
      assert_equal expected.keys, actual.keys, "keys at #{path}"
      expected.each { |key, value| assert_same_json(value, actual[key], "#{path}/#{key}") }
    when Array
      assert_equal expected.size, actual.size, "size at #{path}"
      expected.each_with_index { |value, i| assert_same_json(value, actual[i], "#{path}/#{i}") }
    when Float then assert_equal [expected].pack("G"), [actual].pack("G"), "bits at #{path}"
    when String
      assert_equal expected.encoding, actual.encoding, "encoding at #{path}"
      assert_equal expected, actual, "text at #{path}"
    when nil then assert_nil actual
    else assert_equal expected, actual, "at #{path}"
    end
  end

  # A scripted result for the next x/values request: what the call returns.
  def scripted_result(srv, client, result_text)
    body = %({"jsonrpc":"2.0","id":{{id}},"result":#{result_text}})
    srv.script(status: 200, body: body, headers: [["content-type", "application/json"]], for_method: "x/values")
    client.request("x/values")
  end

  def sorted(value)
    case value
    when Hash then value.sort.to_h { |key, item| [key, sorted(item)] }
    when Array then value.map { |item| sorted(item) }
    else value
    end
  end

  def nested_arrays(depth) = (1...depth).reduce([]) { |inner, _| [inner] }

  def test_arguments_reach_the_server_as_json_generate_wrote_them
    srv = server
    client = connected(srv)
    sent = assert_sent_as_text(srv, client, ARGUMENTS)
    assert_same_json sorted(NESTED), sent["nested"]
    assert_same_json TEXTS, sent["texts"]
    assert_same_json INTEGERS, sent["integers"]
    client.close
  end

  def test_symbol_keys_are_written_as_their_names
    srv = server
    client = connected(srv)
    sent = assert_sent_as_text(srv, client, { text: "hi", nested: { "a": [{ b: nil }] }, "list" => [{ c: 1 }] })
    assert_equal({ "text" => "hi", "nested" => { "a" => [{ "b" => nil }] }, "list" => [{ "c" => 1 }] }, sent)
    # Two keys of one name: JSON.generate writes both, and the later one counts.
    sent = assert_sent_as_text(srv, client, { text: "hi", both: 1, "both" => 2 }, route: :text)
    assert_equal({ "text" => "hi", "both" => 2 }, sent)
    client.close
  end

  # Each of these makes JSON.generate write the arguments (converting, or asking the object).
  def test_what_json_generate_writes_its_own_way_is_left_to_it
    srv = server
    client = connected(srv)
    hash = { "from" => "the pairs" }
    def hash.to_json(*) = '"from a singleton"'
    cases = {
      :fast => "fast", Rational(1, 3) => "1/3", 2**64 => 2.0**64,
      "café".encode("ISO-8859-1") => "café", "é".b => "é", "ü".encode("UTF-16LE") => "ü",
      Class.new { def to_json(*) = '{"custom":[1,2.5]}' }.new => { "custom" => [1, 2.5] },
      Class.new(String) { def to_json(*) = '"from to_json"' }.new("from the bytes") => "from to_json",
      hash => "from a singleton", Class.new(Array) { def to_json(*) = "[0]" }.new([1, 2]) => [0],
      Class.new(Hash) { def to_json(*) = "{}" }.new.merge!("a" => 1) => {}
    }
    cases.each do |value, expected|
      sent = assert_sent_as_text(srv, client, { "text" => "hi", "v" => value }, route: :text)
      assert_same_json expected, sent["v"]
    end
    other_keys = { "text" => "hi", 1 => "integer key", Object => "class key" }
    sent = assert_sent_as_text(srv, client, other_keys, route: :text)
    assert_equal ["integer key", "class key"], sent.values_at("1", "Object")
    client.close
  end

  def test_what_json_generate_refuses_fails_as_before_and_sends_nothing
    srv = server
    client = connected(srv)
    cycle = { "text" => "hi" }
    cycle["self"] = cycle
    deep = { "text" => "hi", "deep" => nested_arrays(99) }
    refused = [{ "x" => Float::NAN }, { "x" => -Float::INFINITY }, { "x" => "\xff" }, { "x" => "\xff".b }, cycle, deep]
    refused.each do |bad|
      expected = assert_raises(JSON::JSONError) { JSON.generate({ op: "call_tool", arguments: bad }) }
      raised = assert_raises(expected.class) { client.call_tool("echo", bad) }
      assert_equal expected.message, raised.message
    end
    assert_equal [], srv.posts("tools/call")
    # One level less is no error, and needs no text.
    result = nil
    assert_equal 0, generated { result = client.call_tool("echo", { "text" => "hi", "deep" => nested_arrays(98) }) }
    assert_equal "hi", result["content"][0]["text"]
    client.close
  end

  def test_a_bad_field_is_the_same_usage_error_either_way
    srv = server
    client = connected(srv)
    [{ timeout: "soon" }, { timeout: Rational(1, 2) }].each do |options|
      error = assert_raises(ArgumentError) { client.call_tool("echo", { "text" => "hi" }, **options) }
      assert_match(/timeout/, error.message)
    end
    assert_raises(ArgumentError) { client.call_tool("echo", [1, 2]) }
    client.close
  end

  def test_results_are_what_json_parse_makes_of_their_text
    srv = server
    client = connected(srv)
    # Keys in the order the core keeps them, so JSON.parse of this text is what the core's
    # own text of the result gave.
    text = JSON.generate(sorted({ "nested" => NESTED, "integers" => INTEGERS, "floats" => FLOATS, "texts" => TEXTS,
                                  "others" => [true, false, nil], "exponent" => 1e300, "whole" => 3.0 }))
    result = scripted_result(srv, client, text)
    assert_same_json JSON.parse(text), result
    # serde_json holds integers beyond 64 bits as floats.
    big = scripted_result(srv, client, '{"big":1180591620717411303424,"small":-18446744073709551616}')
    assert_same_json({ "big" => 2.0**70, "small" => -2.0**64 }, big)
    escaped = scripted_result(srv, client, '{"s":"\ud83d\ude00\u00e9\u0000"}')
    assert_same_json({ "s" => "\u{1F600}\u00e9\u0000" }, escaped)
    client.close
  end

  def test_results_nested_beyond_json_parse_limit_fail_as_before
    srv = server
    client = connected(srv)
    fits = JSON.generate({ "a" => nested_arrays(99) })
    assert_same_json JSON.parse(fits), scripted_result(srv, client, fits)
    too_deep = JSON.generate({ "a" => nested_arrays(100) }, max_nesting: false)
    expected = assert_raises(JSON::NestingError) { JSON.parse(too_deep) }
    raised = assert_raises(JSON::NestingError) { scripted_result(srv, client, too_deep) }
    assert_equal expected.message, raised.message
    client.close
  end

  def test_a_large_result_and_argument_cross_whole
    srv = server
    client = connected(srv)
    result = client.call_tool("big", { "bytes" => 1 << 20 })
    text = result["content"][0]["text"]
    assert_equal ["x" * (1 << 20), Encoding::UTF_8, false], [text, text.encoding, text.frozen?]
    echoed = client.call_tool("echo", { "text" => "ü" * (1 << 19) })["content"][0]["text"]
    assert_equal ["ü" * (1 << 19), Encoding::UTF_8], [echoed, echoed.encoding]
    client.close
  end
end
