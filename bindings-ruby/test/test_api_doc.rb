# frozen_string_literal: true

require_relative "test_helper"
require_relative "test_rbs"

# docs/api-ruby.md lists the gem's whole public API, exactly: each class, module and interface
# of bindings-ruby/sig/mcpstream.rbs is a section, and each of its public methods, constants
# and attributes an entry (`.new(...)` for initialize, `.name` for class methods, `#name` for
# instance methods). An entry's parameters (names, and whether positional, optional, keyword
# or required keyword) must be the method's own, and its `{ |...| }` must match whether the RBS
# takes a block. Defaults are written by hand (Ruby does not report them).
module APIDoc
  Entry = Struct.new(:kind, :name, :params, :block, keyword_init: true)

  module_function

  # { "MCPStream::Client" => { "#call_tool" => Entry } }: sections are ## `Name`, entries are
  # list items opening with a code span.
  def parse(text)
    sections = {}
    current = nil
    text.each_line do |line|
      if (heading = line[/\A## `([^`]+)`/, 1])
        raise ArgumentError, "section #{heading} appears twice" if sections.key?(heading)

        current = sections[heading] = {}
      elsif line.start_with?("## ")
        current = nil
      elsif current && (code = line[/\A- `([^`]+)`/, 1])
        entry = entry(code)
        key = entry.kind == :constant ? entry.name : "#{entry.kind == :singleton ? "." : "#"}#{entry.name}"
        raise ArgumentError, "#{heading_of(sections, current)}: #{key} appears twice" if current.key?(key)

        current[key] = entry
      end
    end
    sections
  end

  def heading_of(sections, section) = sections.key(section)

  def entry(code)
    return Entry.new(kind: :constant, name: code, params: nil, block: false) if code.match?(/\A[A-Z]\w*\z/)

    match = code.match(/\A([.#])([a-z_]\w*[?!=]?)(?:\((.*)\))?(\s*\{.*\})?\z/)
    raise ArgumentError, "not an entry: #{code}" unless match

    prefix, name, params, block = match.captures
    Entry.new(kind: prefix == "." ? :singleton : :instance, name: name, params: params ? params(params) : [], block: !block.nil?)
  end

  # [[kind, name]] as Method#parameters reports them, without the block.
  def params(text)
    RBSLite.split_top(text, ",").map(&:strip).reject(&:empty?).filter_map do |param|
      case param
      when /\A&/ then nil
      when /\A\*\*(\w*)\z/ then [:keyrest, Regexp.last_match(1)]
      when /\A\*(\w*)\z/ then [:rest, Regexp.last_match(1)]
      when /\A(\w+):\z/ then [:keyreq, Regexp.last_match(1)]
      when /\A(\w+):\s+\S/ then [:key, Regexp.last_match(1)]
      when /\A(\w+)\s*=/ then [:opt, Regexp.last_match(1)]
      when /\A(\w+)\z/ then [:req, Regexp.last_match(1)]
      else raise ArgumentError, "unreadable parameter #{param.inspect}"
      end
    end
  end

  # What the RBS declares: { section => { key => [MethodDecl or nil, live method or nil] } }.
  def declared(decls)
    decls.values.to_h do |decl|
      live = RBSCheck.const(decl.name)
      entries = {}
      decl.constants.each_key { |name| entries[name] = [nil, nil] }
      decl.methods.each_value do |m|
        next unless m.visibility == :public || m.name == "initialize"

        key = m.name == "initialize" ? ".new" : "##{m.name}"
        method = live.is_a?(Module) && decl.kind != :interface ? live_method(live, m.name) : nil
        entries[key] = [m, method]
      end
      decl.singleton_methods.each_value do |m|
        next unless m.visibility == :public

        entries[".#{m.name}"] = [m, live.respond_to?(m.name) ? live.method(m.name) : nil]
      end
      [decl.name, entries]
    end
  end

  # test_rbs.rb reports what the RBS declares and the gem lacks.
  def live_method(owner, name)
    owner.instance_method(name.to_sym)
  rescue NameError
    nil
  end

  def problems(decls, doc)
    expected = declared(decls)
    found = (expected.keys - doc.keys).map { |name| "section `#{name}` is missing from the document" }
    found += (doc.keys - expected.keys).map { |name| "section `#{name}` is not in the RBS" }
    (expected.keys & doc.keys).each do |section|
      want = expected[section]
      have = doc[section]
      found += (want.keys - have.keys).map { |key| "#{section}: not documented: #{key}" }
      found += (have.keys - want.keys).map { |key| "#{section}: documented, not in the RBS: #{key}" }
      (want.keys & have.keys).each do |key|
        mdecl, method = want[key]
        next unless mdecl

        entry = have[key]
        if mdecl.overloads.any?(&:block) != entry.block
          found << "#{section} #{key}: the RBS #{entry.block ? "declares no" : "declares a"} block, the document " \
                   "#{entry.block ? "shows one" : "shows none"}"
        end
        next unless method && !RBSCheck.opaque?(method)

        actual = method.parameters.reject { |kind, _| kind == :block }.map { |kind, name| [kind, name.to_s] }
        next if actual == entry.params

        found << "#{section} #{key}: the document has (#{show(entry.params)}), the code (#{show(actual)})"
      end
    end
    found
  end

  def show(params) = params.map { |kind, name| "#{kind} #{name}" }.join(", ")
end

class TestAPIDoc < Minitest::Test
  DOC = File.join(REPO, "docs/api-ruby.md")

  def test_the_document_lists_exactly_the_rbs_with_the_codes_parameters
    decls = RBSLite.parse(File.read(TestRBS::RBS_PATH))
    doc = APIDoc.parse(File.read(DOC))
    assert_operator doc.fetch("MCPStream::Client").size, :>=, 30, "the reader found too little"
    problems = APIDoc.problems(decls, doc)
    assert_empty problems, "docs/api-ruby.md disagrees with the RBS or the gem:\n  #{problems.join("\n  ")}"
  end

  def test_entries_are_read_as_ruby_reports_parameters
    entry = APIDoc.entry("#call_tool(name, arguments = {}, timeout: nil, log_level: nil, raise_on_error: false) { |progress| ... }")
    assert_equal [:instance, "call_tool", true], [entry.kind, entry.name, entry.block]
    assert_equal [[:req, "name"], [:opt, "arguments"], [:key, "timeout"], [:key, "log_level"], [:key, "raise_on_error"]],
                 entry.params
    assert_equal [[:keyreq, "client_id"], [:keyrest, "rest"]], APIDoc.entry(".new(client_id:, **rest, &block)").params
    assert_equal :constant, APIDoc.entry("VERSION").kind
    assert_equal [], APIDoc.entry("#status").params
  end

  SAMPLE_RBS = <<~RBS
    module Outer
      VERSION: String
    end

    class TestAPIDoc::Sample
      def initialize: (String name, ?size: Integer) -> void
      def each: () { (Integer) -> void } -> self
      def pair: (String a, ?String b) -> void
      attr_reader name: String
    end
  RBS

  class Sample
    attr_reader :name

    def initialize(name, size: 1)
      @name = name
      @size = size
    end

    def each = self
    def pair(first, second = nil) = [first, second]
  end

  def test_the_comparison_can_fail
    decls = RBSLite.parse(SAMPLE_RBS)
    doc = APIDoc.parse(<<~MD)
      ## `TestAPIDoc::Sample`

      - `.new(name, size:)`: required in the document, optional in the code
      - `#each`: no block shown
      - `#pair(first)`
      - `#extra`

      ## `Nowhere`
    MD
    assert_equal [
      "section `Outer` is missing from the document",
      "section `Nowhere` is not in the RBS",
      "TestAPIDoc::Sample: not documented: #name",
      "TestAPIDoc::Sample: documented, not in the RBS: #extra",
      "TestAPIDoc::Sample .new: the document has (req name, keyreq size), the code (req name, key size)",
      "TestAPIDoc::Sample #each: the RBS declares a block, the document shows none",
      "TestAPIDoc::Sample #pair: the document has (req first), the code (req first, opt second)"
    ], APIDoc.problems(decls, doc)
  end
end
