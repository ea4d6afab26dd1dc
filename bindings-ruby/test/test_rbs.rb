# frozen_string_literal: true

require_relative "test_helper"

# Keeps bindings-ruby/sig/mcpstream.rbs honest without the rbs gem (not installable here): a
# small line-based reader of the RBS subset that file uses, compared with the loaded gem.
module RBSLite
  # One overload. keywords maps a name to true when required; block is nil, :required or
  # :optional; untyped is true for `(?)`.
  MethodType = Struct.new(:required, :optional, :rest, :keywords, :keyrest, :block, :untyped, keyword_init: true)
  MethodDecl = Struct.new(:name, :overloads, :line, :visibility, :attr, keyword_init: true)
  Decl = Struct.new(:kind, :name, :namespace, :superclass, :line, :methods, :singleton_methods, :constants,
                    keyword_init: true)

  OPENERS = "([{"
  CLOSERS = ")]}"

  module_function

  def parse(source)
    decls = {}
    stack = []
    statements(source).each do |text, line|
      frame = stack.last
      case text
      when /\A(class|module|interface)\s+([\w:]+)(?:\[[^\]]*\])?(?:\s*<\s*([\w:]+)(?:\[.*\])?)?(?:\s*:\s*[^<]*?)?(\s+end)?\z/
        kind, name, superclass, one_line = Regexp.last_match.captures
        namespace = frame ? frame[:decl].name : ""
        full = name.start_with?("::") || namespace.empty? ? name.delete_prefix("::") : "#{namespace}::#{name}"
        decl = decls[full] ||= Decl.new(kind: kind.to_sym, name: full, namespace: namespace, line: line, methods: {},
                                        singleton_methods: {}, constants: {})
        decl.superclass ||= superclass
        stack << { decl: decl, visibility: :public } unless one_line
      when "end"
        raise ArgumentError, "line #{line}: `end` without an open class/module" if stack.empty?

        stack.pop
      when "private", "public"
        frame[:visibility] = text.to_sym if frame
      when /\A(?:(private|public)\s+)?def\s+(self\??\.)?(`[^`]+`|[^\s:]+?):\s*(.*)\z/m
        visibility, self_prefix, name, types = Regexp.last_match.captures
        next unless frame

        overloads = split_top(types, "|").map(&:strip).reject { |t| t == "..." }.map { |t| method_type(t, line) }
        add_method(frame, self_prefix, name.delete("`"), overloads, line, visibility, false)
      when /\A(?:(private|public)\s+)?attr_(reader|writer|accessor)\s+(self\.)?(\w+[?!]?)\s*(?:\(@?\w*\))?\s*:/
        visibility, kind, self_prefix, name = Regexp.last_match.captures
        next unless frame

        if kind != "writer"
          add_method(frame, self_prefix, name, [MethodType.new(required: 0, optional: 0, keywords: {})], line, visibility, true)
        end
        if kind != "reader"
          add_method(frame, self_prefix, "#{name}=", [MethodType.new(required: 1, optional: 0, keywords: {})], line,
                     visibility, true)
        end
      when /\Aalias\s+(self\.)?(\S+)\s+(?:self\.)?(\S+)\z/
        self_prefix, new_name, old_name = Regexp.last_match.captures
        table = frame && (self_prefix ? frame[:decl].singleton_methods : frame[:decl].methods)
        table[new_name] = table[old_name].dup.tap { |m| m.name = new_name } if table&.key?(old_name)
      when /\A([A-Z]\w*)\s*:\s*(.+)\z/
        frame[:decl].constants[Regexp.last_match(1)] = [Regexp.last_match(2), line] if frame
      end
    end
    raise ArgumentError, "unclosed: #{stack.map { |f| f[:decl].name }.join(", ")}" unless stack.empty?

    decls
  end

  # Logical statements [text, first line]: comments dropped, multi-line defs and `|` overload
  # lines joined.
  def statements(source)
    out = []
    source.each_line.with_index(1) do |raw, lineno|
      line = strip_comment(raw).strip
      next if line.empty?

      last = out.last
      if last && (depth(last[0]).positive? || line.start_with?("|", "->") || last[0].end_with?("->", "|", ","))
        last[0] = "#{last[0]} #{line}"
      else
        out << [line, lineno]
      end
    end
    out
  end

  def strip_comment(line)
    index = line.index("#")
    index = line.index("#", index + 1) while index && line[0...index].count('"').odd?
    index ? line[0...index] : line
  end

  def depth(text) = text.count(OPENERS) - text.count(CLOSERS)

  def add_method(frame, self_prefix, name, overloads, line, visibility, attr)
    decl = MethodDecl.new(name: name, overloads: overloads, line: line, visibility: (visibility || frame[:visibility]).to_sym,
                          attr: attr)
    frame[:decl].methods[name] = decl if self_prefix.nil? || self_prefix == "self?."
    frame[:decl].singleton_methods[name] = decl.dup if self_prefix
  end

  # `[T] (params) ?{ block } -> return`
  def method_type(text, line)
    rest = text.strip
    rest = take_balanced(rest)[1].strip if rest.start_with?("[")
    type = MethodType.new(required: 0, optional: 0, rest: false, keywords: {}, keyrest: false, untyped: false)
    if rest.start_with?("(")
      params, rest = take_balanced(rest)
      parse_params(params, type)
      rest = rest.strip
    end
    if (block = rest[/\A\??\{/])
      type.block = block.start_with?("?") ? :optional : :required
      rest = take_balanced(rest.delete_prefix("?"))[1].strip
    end
    raise ArgumentError, "line #{line}: expected `->` in #{text.inspect}" unless rest.start_with?("->")

    type
  end

  def parse_params(params, type)
    return type.untyped = true if params.strip == "?"

    split_top(params, ",").map(&:strip).reject(&:empty?).each do |param|
      case param
      when /\A\*\*/ then type.keyrest = true
      when /\A\*/ then type.rest = true
      when /\A(\?)?([a-z_]\w*):(?!:)/ then type.keywords[Regexp.last_match(2)] = Regexp.last_match(1).nil?
      when /\A\?/ then type.optional += 1
      else type.required += 1
      end
    end
  end

  # [inside, after] for text starting with an opening bracket.
  def take_balanced(text)
    level = 0
    text.each_char.with_index do |char, index|
      level += 1 if OPENERS.include?(char)
      level -= 1 if CLOSERS.include?(char)
      return [text[1...index], text[(index + 1)..]] if level.zero?
    end
    raise ArgumentError, "unbalanced brackets in #{text.inspect}"
  end

  def split_top(text, separator)
    parts = [+""]
    level = 0
    text.each_char do |char|
      level += 1 if OPENERS.include?(char)
      level -= 1 if CLOSERS.include?(char)
      if char == separator && level.zero?
        parts << +""
      else
        parts.last << char
      end
    end
    parts
  end
end

# Compares parsed declarations with live classes; every method returns a list of problems.
module RBSCheck
  module_function

  def const(path)
    Object.const_get(path)
  rescue NameError
    nil
  end

  # RBS resolves a relative name from the innermost namespace outwards.
  def resolve(name, namespace)
    return const(name.delete_prefix("::")) if name.start_with?("::")

    parts = namespace.split("::")
    parts.length.downto(0).each do |n|
      found = const([*parts.first(n), name].join("::"))
      return found if found
    end
    nil
  end

  def where(meth)
    file, line = meth.source_location
    file ? " (#{file.sub(%r{\A.*/(?=bindings-ruby/)}, "")}:#{line})" : ""
  end

  def rbs_line(decl) = " (RBS line #{decl.line})"

  def method_sets(decl, klass)
    problems = []
    declared = decl.methods.values.select { |m| m.visibility == :public && m.name != "initialize" }.map { |m| m.name.to_sym }
    actual = klass.public_instance_methods(false)
    (declared - actual).each do |name|
      next if klass.public_method_defined?(name) # inherited; RBS may restate it

      state = klass.private_method_defined?(name) || klass.protected_method_defined?(name) ? "not public" : "missing"
      problems << "#{decl.name}##{name}#{rbs_line(decl.methods[name.to_s])}: declared in RBS, #{state} in the gem"
    end
    (actual - declared).each do |name|
      next if klass.superclass&.public_method_defined?(name) # an override; the inherited signature applies

      problems << "#{decl.name}##{name}#{where(klass.instance_method(name))}: public in the gem, not declared in RBS"
    end

    own_initialize = klass.private_instance_methods(false).include?(:initialize) ||
                     klass.public_instance_methods(false).include?(:initialize)
    if own_initialize && !decl.methods.key?("initialize")
      problems << "#{decl.name}#initialize#{where(klass.instance_method(:initialize))}: defined in the gem, " \
                  "not declared in RBS (RBS falls back to #{klass.superclass}#initialize)"
    end
    if decl.methods.key?("initialize") && !klass.private_method_defined?(:initialize) && !klass.method_defined?(:initialize)
      problems << "#{decl.name}#initialize#{rbs_line(decl.methods["initialize"])}: declared in RBS, missing in the gem"
    end

    declared = decl.singleton_methods.values.select { |m| m.visibility == :public }.map { |m| m.name.to_sym }
    actual = klass.singleton_methods(false)
    (declared - actual).each do |name|
      next if klass.respond_to?(name)

      problems << "#{decl.name}.#{name}#{rbs_line(decl.singleton_methods[name.to_s])}: declared in RBS, missing in the gem"
    end
    (actual - declared).each do |name|
      next if klass.superclass.respond_to?(name)

      problems << "#{decl.name}.#{name}#{where(klass.method(name))}: public in the gem, not declared in RBS"
    end
    problems
  end

  # [label, MethodDecl, Method or UnboundMethod] for each declared method the gem has.
  def pairs(decl, klass)
    instance = decl.methods.values.filter_map do |m|
      name = m.name.to_sym
      next unless m.visibility == :public || name == :initialize
      next unless klass.method_defined?(name) || klass.private_method_defined?(name)

      ["#{decl.name}##{m.name}", m, klass.instance_method(name)]
    end
    singleton = decl.singleton_methods.values.filter_map do |m|
      next unless m.visibility == :public && klass.respond_to?(m.name)

      ["#{decl.name}.#{m.name}", m, klass.method(m.name)]
    end
    instance + singleton
  end

  # A C method with variable arity reports only [[:rest]]: nothing to compare.
  def opaque?(meth) = iseq(meth).nil? && meth.parameters.any? { |kind, name| kind == :rest && name.nil? }

  def iseq(meth)
    RubyVM::InstructionSequence.of(meth)
  rescue StandardError
    nil
  end

  def forwarding?(meth) = meth.parameters == [%i[rest *], %i[keyrest **], %i[block &]]

  def keywords(decl, klass)
    pairs(decl, klass).flat_map do |label, mdecl, meth|
      next [] if opaque?(meth) || mdecl.overloads.any?(&:untyped) || forwarding?(meth)

      params = meth.parameters
      ruby = params.filter_map { |kind, name| [name.to_s, kind == :keyreq] if %i[key keyreq].include?(kind) }.to_h
      ruby_keyrest = params.any? { |kind, _| kind == :keyrest }
      rbs = mdecl.overloads.flat_map { |o| o.keywords.keys }.uniq
      rbs_keyrest = mdecl.overloads.any?(&:keyrest)
      at = "#{label}#{where(meth)}, RBS line #{mdecl.line}"
      problems = []
      (ruby.keys - rbs).each { |k| problems << "#{at}: keyword #{k}: accepted by the gem, not declared in RBS" } unless rbs_keyrest
      (rbs - ruby.keys).each { |k| problems << "#{at}: keyword #{k}: declared in RBS, not accepted by the gem" } unless ruby_keyrest
      problems << "#{at}: **keywords declared in RBS, the gem takes none" if rbs_keyrest && !ruby_keyrest
      problems << "#{at}: the gem takes **keywords, RBS declares no keywords" if ruby_keyrest && !rbs_keyrest && rbs.empty?
      (ruby.keys & rbs).each do |k|
        optional_in_rbs = mdecl.overloads.any? { |o| o.keywords[k] == false || (!o.keywords.key?(k) && !o.keyrest) }
        if ruby[k] && optional_in_rbs
          problems << "#{at}: keyword #{k}: required in the gem, optional in RBS (write `#{k}:`)"
        elsif !ruby[k] && mdecl.overloads.size == 1 && mdecl.overloads[0].keywords[k]
          problems << "#{at}: keyword #{k}: optional in the gem, required in RBS (write `?#{k}:`)"
        end
      end
      problems
    end
  end

  # :yes (a &block parameter, yield or block_given?), :no, or :unknown (C code, `super` passes
  # the block on implicitly, `...` forwarding).
  def takes_block(meth)
    return :yes if meth.parameters.any? { |kind, _| kind == :block } && !forwarding?(meth)
    return :unknown if forwarding?(meth)

    code = iseq(meth)&.disasm
    return :unknown if code.nil?
    return :yes if code.include?("invokeblock") || code.include?("mid:block_given?")
    return :unknown if code.include?("invokesuper")

    :no
  end

  def blocks(decl, klass)
    pairs(decl, klass).filter_map do |label, mdecl, meth|
      declared = mdecl.overloads.any?(&:block)
      at = "#{label}#{where(meth)}, RBS line #{mdecl.line}"
      case [declared, takes_block(meth)]
      when [false, :yes] then "#{at}: the gem takes a block, RBS declares none"
      when [true, :no] then "#{at}: RBS declares a block, the gem's method neither takes &block nor yields"
      end
    end
  end

  def positionals(decl, klass)
    pairs(decl, klass).filter_map do |label, mdecl, meth|
      next if opaque?(meth) || mdecl.overloads.any?(&:untyped) || forwarding?(meth)

      params = meth.parameters
      ruby_min = params.count { |kind, _| kind == :req }
      ruby_rest = params.any? { |kind, _| kind == :rest }
      ruby_max = ruby_rest ? Float::INFINITY : ruby_min + params.count { |kind, _| kind == :opt }
      rbs_min = mdecl.overloads.map(&:required).min
      rbs_max = mdecl.overloads.map { |o| o.rest ? Float::INFINITY : o.required + o.optional }.max
      next if [rbs_min, rbs_max] == [ruby_min, ruby_max]
      next if ruby_rest && rbs_min >= ruby_min

      "#{label}#{where(meth)}, RBS line #{mdecl.line}: RBS accepts #{range(rbs_min, rbs_max)} positional " \
        "arguments, the gem #{range(ruby_min, ruby_max)}"
    end
  end

  def range(min, max) = max == min ? min.to_s : "#{min}..#{max.infinite? ? "" : max}"
end

class TestRBS < Minitest::Test
  RBS_PATH = File.join(REPO, "bindings-ruby/sig/mcpstream.rbs")

  def decls = @decls ||= RBSLite.parse(File.read(RBS_PATH))

  PUBLIC_CLASSES = [MCPStream::Client, MCPStream::Subscription, MCPStream::OAuth, MCPStream::ClientCredentials,
                    MCPStream::MemoryTokenStore, MCPStream::FileTokenStore].freeze

  # The public classes and every error class the RBS declares, with the live class.
  def checked
    decls.values.filter_map do |decl|
      klass = RBSCheck.const(decl.name)
      next unless decl.kind == :class && klass.is_a?(Class)

      [decl, klass] if PUBLIC_CLASSES.include?(klass) || klass < Exception
    end
  end

  def assert_agrees(kind)
    problems = checked.flat_map { |decl, klass| RBSCheck.public_send(kind, decl, klass) }
    assert_empty problems, "bindings-ruby/sig/mcpstream.rbs disagrees with the gem (#{kind}):\n  #{problems.join("\n  ")}"
  end

  def test_rbs_declares_the_client_and_every_error_class
    errors = MCPStream.constants.map { |c| MCPStream.const_get(c) }.select { |c| c.is_a?(Class) && c < Exception }
    assert_operator errors.size, :>=, 11
    undeclared = [*PUBLIC_CLASSES.map(&:name), *errors.map(&:name)] - checked.map { |decl, _| decl.name }
    assert_empty undeclared, "classes in the gem that bindings-ruby/sig/mcpstream.rbs does not declare: #{undeclared.join(", ")}"
    assert_operator decls.fetch("MCPStream::Client").methods.size, :>=, 20, "the parser found too little"

    problems = decls.values.reject { |d| d.kind == :interface }.filter_map do |decl|
      klass = RBSCheck.const(decl.name)
      next "#{decl.name} (RBS line #{decl.line}): declared in RBS, missing in the gem" unless klass
      next unless decl.superclass && klass.is_a?(Class)

      superclass = RBSCheck.resolve(decl.superclass, decl.namespace)
      next if superclass == klass.superclass

      "#{decl.name} (RBS line #{decl.line}): RBS says < #{decl.superclass}, the gem says < #{klass.superclass}"
    end
    assert_empty problems, problems.join("\n")
  end

  def test_constants
    problems = decls.values.flat_map do |decl|
      decl.constants.filter_map do |name, (type, line)|
        owner = RBSCheck.const(decl.name)
        next "#{decl.name}::#{name} (RBS line #{line}): declared in RBS, missing in the gem" unless owner&.const_defined?(name, false)

        expected = RBSCheck.const(type) if type.match?(/\A[A-Z]\w*\z/)
        value = owner.const_get(name, false)
        "#{decl.name}::#{name}: RBS says #{type}, the gem has #{value.class}" if expected.is_a?(Class) && !value.is_a?(expected)
      end
    end
    assert_empty problems, problems.join("\n")
  end

  def test_public_methods_match
    assert_agrees(:method_sets)
  end

  def test_keyword_arguments_match
    assert_agrees(:keywords)
  end

  def test_blocks_match
    assert_agrees(:blocks)
  end

  def test_positional_arguments_match
    assert_agrees(:positionals)
  end

  # Self-checks: the parser reads what it should, and the comparison can fail.

  SAMPLE_RBS = <<~RBS
    module Outer
      # a comment: def fake: () -> void
      VERSION: String
      type shape = :a
                 | :b

      interface _Each
        def each: () { (Integer) -> void } -> void
      end

      class Sample < Object
        def self.build: (String name) { (Sample) -> untyped } -> untyped
        def initialize: (String name, ?size: Integer,
                         ?mode: Symbol) -> void
        attr_reader name: String
        def each: (?Integer? limit) -> Array[untyped]
                | (Integer limit, **untyped) ?{ (Integer) -> void } -> Array[untyped]
        def fetch: (String key, ?default: Hash[String | Symbol, String], ?strict: bool, ?deep: bool) -> (:a | :b)
        def pair: (String a) -> void
        def tap_it: () -> self
        def plain: () { () -> void } -> nil
        def missing: () -> nil # trailing comment
        private
        def helper: () -> void
      end
    end
  RBS

  class Sample
    def self.build(name) = yield(new(name, mode: :x))

    attr_reader :name

    def initialize(name, mode:, size: 1)
      @name = name
      @mode = mode
      @size = size
    end

    def each(limit = nil, **options, &block) = [limit, options, block]
    def fetch(key, default: nil, strict: false) = [key, default, strict]
    def pair(first, second = nil) = [first, second]
    def tap_it(&block) = block
    def plain = nil
    def undeclared = nil
  end

  def test_parser_self_check
    sample = RBSLite.parse(SAMPLE_RBS)
    assert_equal %w[Outer Outer::_Each Outer::Sample], sample.keys
    assert_equal :interface, sample["Outer::_Each"].kind
    assert_equal({ "VERSION" => ["String", 3] }, sample["Outer"].constants)
    decl = sample["Outer::Sample"]
    assert_equal ["Object", "Outer"], [decl.superclass, decl.namespace]
    assert_equal %w[initialize name each fetch pair tap_it plain missing helper], decl.methods.keys
    assert_equal %w[build], decl.singleton_methods.keys
    assert_equal :private, decl.methods["helper"].visibility
    assert_equal :public, decl.methods["missing"].visibility
    assert decl.methods["name"].attr
    assert_equal :required, decl.singleton_methods["build"].overloads[0].block
    init = decl.methods["initialize"]
    assert_equal [13, 1], [init.line, init.overloads.size]
    assert_equal({ "size" => false, "mode" => false }, init.overloads[0].keywords)
    assert_equal [1, 0], [init.overloads[0].required, init.overloads[0].optional]
    each = decl.methods["each"].overloads
    assert_equal [[0, 1, false, nil], [1, 0, true, :optional]], each.map { |o| [o.required, o.optional, o.keyrest, o.block] }
    fetch = decl.methods["fetch"].overloads
    assert_equal [1, { "default" => false, "strict" => false, "deep" => false }], [fetch[0].required, fetch[0].keywords]
  end

  def test_comparison_self_check
    decl = RBSLite.parse(SAMPLE_RBS).fetch("Outer::Sample")
    expected = {
      method_sets: ["Sample#missing (RBS line 22)", "declared in RBS, missing in the gem",
                    "Sample#undeclared (bindings-ruby/test/test_rbs.rb:", "public in the gem, not declared in RBS"],
      keywords: ["Sample#initialize", "keyword mode: required in the gem, optional in RBS",
                 "Sample#fetch", "keyword deep: declared in RBS, not accepted by the gem"],
      blocks: ["Sample#tap_it", "the gem takes a block, RBS declares none",
               "Sample#plain", "RBS declares a block, the gem's method neither takes &block nor yields"],
      positionals: ["Sample#pair", "RBS accepts 1 positional arguments, the gem 1..2"]
    }
    expected.each do |kind, fragments|
      problems = RBSCheck.public_send(kind, decl, Sample)
      assert_equal fragments.size / 2, problems.size, "#{kind}: #{problems.inspect}"
      fragments.each_slice(2) do |who, what|
        assert(problems.any? { |p| p.include?(who) && p.include?(what) }, "#{kind}: no #{who} … #{what} in #{problems.inspect}")
      end
    end
  end
end
