using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics.Tensors;

namespace GeoRisk.Raster.MapAlgebra;

/// <summary>
/// A map-algebra expression over named float bands, parsed once and compiled to a short register program
/// whose steps are whole-span kernels (TensorPrimitives where it has the operation, <see cref="Kernels"/>
/// otherwise). Nodata is NaN: arithmetic propagates it by IEEE rules, comparisons and where() propagate it
/// explicitly, isnull() tests for it.
/// </summary>
/// <remarks>
/// Functions: min max abs sqrt exp log pow clamp(x,lo,hi) where(c,a,b) isnull(x) reclass(x,[breaks],[values]).
/// Operators: + - * / ^ &lt; &lt;= &gt; &gt;= == != &amp;&amp; ||, parentheses, unary minus.
/// </remarks>
public sealed class Expression
{
    /// <summary>Elements per evaluation step: 16 KiB per register keeps a program's working set in L2.</summary>
    internal const int ChunkLength = 4096;

    private readonly Node _root;
    private readonly Dictionary<string, int> _variableIndex;
    private readonly List<Instruction> _program = [];
    private int _registerCount;
    private Operand _result;

    private Expression(string text, Node root)
    {
        Text = text;
        _root = root;
        var variables = new List<string>();
        Collect(root, variables);
        Variables = variables;
        _variableIndex = variables.Select((name, i) => (name, i)).ToDictionary(v => v.name, v => v.i, StringComparer.Ordinal);
        _result = Compile(root);
    }

    public string Text { get; }

    /// <summary>Band names in the order <see cref="Evaluate"/> expects its inputs.</summary>
    public IReadOnlyList<string> Variables { get; }

    /// <exception cref="ExpressionSyntaxException">The text is not a valid expression; the exception carries the column.</exception>
    public static Expression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ExpressionSyntaxException("The expression is empty", 1);
        }

        return new Expression(text, Parser.Parse(text));
    }

    /// <summary>Evaluates over equally long input spans (in <see cref="Variables"/> order) into <paramref name="output"/>.</summary>
    // Compiled optimized at first call: a raster command runs for about a second, too short for tiering to catch up.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Evaluate(ReadOnlyMemory<float>[] inputs, Span<float> output, bool vectorize = true)
    {
        if (inputs.Length != Variables.Count)
        {
            throw new ArgumentException(
                $"The expression uses {Variables.Count} bands ({string.Join(", ", Variables)}); {inputs.Length} were given.", nameof(inputs));
        }

        foreach (var input in inputs)
        {
            if (input.Length != output.Length)
            {
                throw new ArgumentException("Every input must be as long as the output.", nameof(inputs));
            }
        }

        var scratch = ArrayPool<float>.Shared.Rent(Math.Max(1, _registerCount) * ChunkLength);
        try
        {
            for (var offset = 0; offset < output.Length; offset += ChunkLength)
            {
                var n = Math.Min(ChunkLength, output.Length - offset);
                RunChunk(inputs, offset, n, scratch, output.Slice(offset, n), vectorize);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>The scalar reference: evaluates the syntax tree directly for one cell.</summary>
    public float EvaluateScalar(ReadOnlySpan<float> values)
    {
        if (values.Length != Variables.Count)
        {
            throw new ArgumentException($"Expected {Variables.Count} values.", nameof(values));
        }

        return Scalar(_root, values);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunChunk(ReadOnlyMemory<float>[] inputs, int offset, int n, float[] scratch, Span<float> output, bool vectorize)
    {
        // The step that produces the result writes straight into the output (no copy pass at the end).
        var last = _result.Kind == OperandKind.Register && _program.Count > 0 && _program[^1].Destination == _result.Index ? _program.Count - 1 : -1;
        for (var step = 0; step < _program.Count; step++)
        {
            var ins = _program[step];
            var d = step == last ? output : scratch.AsSpan(ins.Destination * ChunkLength, n);
            switch (ins.Op)
            {
                case OpCode.Add when ins.B.IsConstant: TensorPrimitives.Add(Read(ins.A), ins.B.Value, d); break;
                case OpCode.Add: TensorPrimitives.Add(Read(ins.A), Read(ins.B), d); break;
                case OpCode.Subtract when ins.B.IsConstant: TensorPrimitives.Subtract(Read(ins.A), ins.B.Value, d); break;
                case OpCode.Subtract when ins.A.IsConstant: TensorPrimitives.Subtract(ins.A.Value, Read(ins.B), d); break;
                case OpCode.Subtract: TensorPrimitives.Subtract(Read(ins.A), Read(ins.B), d); break;
                case OpCode.Multiply when ins.B.IsConstant: TensorPrimitives.Multiply(Read(ins.A), ins.B.Value, d); break;
                case OpCode.Multiply: TensorPrimitives.Multiply(Read(ins.A), Read(ins.B), d); break;
                case OpCode.MultiplyAdd: TensorPrimitives.MultiplyAdd(Read(ins.A), ins.B.Value, Read(ins.C), d); break;
                case OpCode.Divide when ins.B.IsConstant: TensorPrimitives.Divide(Read(ins.A), ins.B.Value, d); break;
                case OpCode.Divide when ins.A.IsConstant: TensorPrimitives.Divide(ins.A.Value, Read(ins.B), d); break;
                case OpCode.Divide: TensorPrimitives.Divide(Read(ins.A), Read(ins.B), d); break;
                case OpCode.Pow when ins.B.IsConstant: TensorPrimitives.Pow(Read(ins.A), ins.B.Value, d); break;
                case OpCode.Pow when ins.A.IsConstant: TensorPrimitives.Pow(ins.A.Value, Read(ins.B), d); break;
                case OpCode.Pow: TensorPrimitives.Pow(Read(ins.A), Read(ins.B), d); break;
                case OpCode.Min when ins.B.IsConstant: TensorPrimitives.Min(Read(ins.A), ins.B.Value, d); break;
                case OpCode.Min: TensorPrimitives.Min(Read(ins.A), Read(ins.B), d); break;
                case OpCode.Max when ins.B.IsConstant: TensorPrimitives.Max(Read(ins.A), ins.B.Value, d); break;
                case OpCode.Max: TensorPrimitives.Max(Read(ins.A), Read(ins.B), d); break;
                case OpCode.Negate: TensorPrimitives.Negate(Read(ins.A), d); break;
                case OpCode.Abs: TensorPrimitives.Abs(Read(ins.A), d); break;
                case OpCode.Sqrt: TensorPrimitives.Sqrt(Read(ins.A), d); break;
                case OpCode.Exp: TensorPrimitives.Exp(Read(ins.A), d); break;
                case OpCode.Log: TensorPrimitives.Log(Read(ins.A), d); break;
                case OpCode.Less: Kernels.Binary<ComparisonOps.Less>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.LessOrEqual: Kernels.Binary<ComparisonOps.LessOrEqual>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.Greater: Kernels.Binary<ComparisonOps.Greater>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.GreaterOrEqual: Kernels.Binary<ComparisonOps.GreaterOrEqual>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.Equal: Kernels.Binary<ComparisonOps.Equal>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.NotEqual: Kernels.Binary<ComparisonOps.NotEqual>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.And: Kernels.Binary<ComparisonOps.And>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.Or: Kernels.Binary<ComparisonOps.Or>(Read(ins.A), Read(ins.B), d, vectorize); break;
                case OpCode.Where: Kernels.Where(Read(ins.A), Read(ins.B), Read(ins.C), d, vectorize); break;
                case OpCode.IsNull: Kernels.IsNull(Read(ins.A), d, vectorize); break;
                case OpCode.Reclass: Kernels.Reclass(Read(ins.A), ins.Breaks, ins.Values, d, vectorize); break;
                case OpCode.Fill: d.Fill(ins.A.Value); break;
                default: throw new InvalidOperationException($"Unknown op {ins.Op}");
            }
        }

        if (_result.IsConstant)
        {
            output.Fill(_result.Value);
        }
        else if (last < 0)
        {
            Read(_result).CopyTo(output);
        }

        ReadOnlySpan<float> Read(Operand o) => ReadOperand(o, inputs, offset, n, scratch);
    }

    private static ReadOnlySpan<float> ReadOperand(Operand o, ReadOnlyMemory<float>[] inputs, int offset, int n, float[] scratch) => o.Kind switch
    {
        OperandKind.Input => inputs[o.Index].Span.Slice(offset, n),
        OperandKind.Register => scratch.AsSpan(o.Index * ChunkLength, n),
        _ => throw new InvalidOperationException("A constant operand reached a span-only kernel."),
    };

    // ---- compilation -----------------------------------------------------------------------------------

    private enum OpCode
    {
        Add, Subtract, Multiply, MultiplyAdd, Divide, Pow, Min, Max, Negate, Abs, Sqrt, Exp, Log,
        Less, LessOrEqual, Greater, GreaterOrEqual, Equal, NotEqual, And, Or, Where, IsNull, Reclass, Fill,
    }

    private enum OperandKind
    {
        Constant,
        Input,
        Register,
    }

    private readonly record struct Operand(OperandKind Kind, int Index, float Value)
    {
        public bool IsConstant => Kind == OperandKind.Constant;

        public static Operand Constant(double v) => new(OperandKind.Constant, -1, (float)v);
    }

    private sealed record Instruction(OpCode Op, int Destination, Operand A, Operand B = default, Operand C = default)
    {
        public float[] Breaks { get; init; } = [];

        public float[] Values { get; init; } = [];
    }

    private Operand Emit(OpCode op, Operand a, Operand b = default, Operand c = default, float[]? breaks = null, float[]? values = null)
    {
        var destination = _registerCount++;
        _program.Add(new Instruction(op, destination, a, b, c) { Breaks = breaks ?? [], Values = values ?? [] });
        return new Operand(OperandKind.Register, destination, 0);
    }

    /// <summary>Constants become a filled register for kernels that only take spans.</summary>
    private Operand Span(Operand o) => o.IsConstant ? Emit(OpCode.Fill, o) : o;

    private Operand Compile(Node node)
    {
        switch (node)
        {
            case NumberNode n:
                return Operand.Constant(n.Value);
            case VariableNode v:
                return new Operand(OperandKind.Input, _variableIndex[v.Name], 0);
            case ArrayNode a:
                throw new ExpressionSyntaxException("A [list] is only allowed as an argument of reclass()", a.Column);
            case UnaryNode u:
                var operand = Compile(u.Operand);
                return operand.IsConstant ? Operand.Constant(-operand.Value) : Emit(OpCode.Negate, operand);
            case BinaryNode b:
                return CompileBinary(b);
            case CallNode c:
                return CompileCall(c);
            default:
                throw new InvalidOperationException(node.GetType().Name);
        }
    }

    private Operand CompileBinary(BinaryNode b)
    {
        // x*c + y (or y + x*c) becomes one fused multiply-add pass: weighted overlays are chains of these.
        if (b.Op == "+" && TryScaled(b.Left, out var sx, out var sc) && !IsConstantNode(b.Right))
        {
            return Emit(OpCode.MultiplyAdd, Compile(sx), Operand.Constant(sc), Span(Compile(b.Right)));
        }

        if (b.Op == "+" && TryScaled(b.Right, out sx, out sc) && !IsConstantNode(b.Left))
        {
            return Emit(OpCode.MultiplyAdd, Compile(sx), Operand.Constant(sc), Span(Compile(b.Left)));
        }

        var left = Compile(b.Left);
        var right = Compile(b.Right);
        if (left.IsConstant && right.IsConstant)
        {
            return Operand.Constant(ScalarBinary(b.Op, left.Value, right.Value));
        }

        switch (b.Op)
        {
            case "+": return left.IsConstant ? Emit(OpCode.Add, right, left) : Emit(OpCode.Add, left, right);
            case "*": return left.IsConstant ? Emit(OpCode.Multiply, right, left) : Emit(OpCode.Multiply, left, right);
            case "-": return Emit(OpCode.Subtract, left, right);
            case "/": return Emit(OpCode.Divide, left, right);
            case "^": return Emit(OpCode.Pow, left, right);
        }

        var op = b.Op switch
        {
            "<" => OpCode.Less,
            "<=" => OpCode.LessOrEqual,
            ">" => OpCode.Greater,
            ">=" => OpCode.GreaterOrEqual,
            "==" => OpCode.Equal,
            "!=" => OpCode.NotEqual,
            "&&" => OpCode.And,
            "||" => OpCode.Or,
            _ => throw new ExpressionSyntaxException($"Unknown operator '{b.Op}'", b.Column),
        };
        return Emit(op, Span(left), Span(right));
    }

    private static bool IsConstantNode(Node n) => n is NumberNode || (n is UnaryNode { Operand: NumberNode });

    private static bool TryScaled(Node n, out Node x, out double scale)
    {
        if (n is BinaryNode { Op: "*" } m)
        {
            if (m.Right is NumberNode r && !IsConstantNode(m.Left))
            {
                (x, scale) = (m.Left, r.Value);
                return true;
            }

            if (m.Left is NumberNode l && !IsConstantNode(m.Right))
            {
                (x, scale) = (m.Right, l.Value);
                return true;
            }
        }

        (x, scale) = (n, 0);
        return false;
    }

    private Operand CompileCall(CallNode c)
    {
        void Arity(int n)
        {
            if (c.Arguments.Count != n)
            {
                throw new ExpressionSyntaxException($"{c.Function}() takes {n} argument{(n == 1 ? "" : "s")}, not {c.Arguments.Count}", c.Column);
            }
        }

        switch (c.Function)
        {
            case "abs" or "sqrt" or "exp" or "log" or "isnull":
                Arity(1);
                var x = Compile(c.Arguments[0]);
                if (x.IsConstant)
                {
                    return Operand.Constant(ScalarCall(c.Function, [x.Value]));
                }

                return Emit(c.Function switch { "abs" => OpCode.Abs, "sqrt" => OpCode.Sqrt, "exp" => OpCode.Exp, "log" => OpCode.Log, _ => OpCode.IsNull }, x);
            case "min" or "max" or "pow":
                Arity(2);
                var a = Compile(c.Arguments[0]);
                var b = Compile(c.Arguments[1]);
                if (a.IsConstant && b.IsConstant)
                {
                    return Operand.Constant(ScalarCall(c.Function, [a.Value, b.Value]));
                }

                var op = c.Function switch { "min" => OpCode.Min, "max" => OpCode.Max, _ => OpCode.Pow };
                return op != OpCode.Pow && a.IsConstant ? Emit(op, b, a) : Emit(op, a, b);
            case "clamp":
                Arity(3);
                var lo = Emit(OpCode.Max, Span(Compile(c.Arguments[0])), Compile(c.Arguments[1]));
                return Emit(OpCode.Min, lo, Compile(c.Arguments[2]));
            case "where":
                Arity(3);
                return Emit(OpCode.Where, Span(Compile(c.Arguments[0])), Span(Compile(c.Arguments[1])), Span(Compile(c.Arguments[2])));
            case "reclass":
                Arity(3);
                if (c.Arguments[1] is not ArrayNode breaks || c.Arguments[2] is not ArrayNode values)
                {
                    throw new ExpressionSyntaxException("reclass(x, [breaks], [values]) needs two [lists]", c.Column);
                }

                if (values.Values.Count != breaks.Values.Count + 1)
                {
                    throw new ExpressionSyntaxException(
                        $"reclass() needs one more value than breaks ({breaks.Values.Count} breaks, {values.Values.Count} values)", values.Column);
                }

                for (var i = 1; i < breaks.Values.Count; i++)
                {
                    if (breaks.Values[i] <= breaks.Values[i - 1])
                    {
                        throw new ExpressionSyntaxException("reclass() breaks must increase", breaks.Column);
                    }
                }

                return Emit(
                    OpCode.Reclass,
                    Span(Compile(c.Arguments[0])),
                    breaks: breaks.Values.Select(v => (float)v).ToArray(),
                    values: values.Values.Select(v => (float)v).ToArray());
            default:
                throw new ExpressionSyntaxException(
                    $"Unknown function '{c.Function}' (known: min max abs sqrt exp log pow clamp where isnull reclass)", c.Column);
        }
    }

    // ---- scalar reference ------------------------------------------------------------------------------

    private float Scalar(Node node, ReadOnlySpan<float> values) => node switch
    {
        NumberNode n => (float)n.Value,
        VariableNode v => values[_variableIndex[v.Name]],
        UnaryNode u => -Scalar(u.Operand, values),
        BinaryNode b => ScalarBinary(b.Op, Scalar(b.Left, values), Scalar(b.Right, values)),
        CallNode { Function: "reclass" } c => Kernels.ReclassScalar(Scalar(c.Arguments[0], values),
            ((ArrayNode)c.Arguments[1]).Values.Select(v => (float)v).ToArray(), ((ArrayNode)c.Arguments[2]).Values.Select(v => (float)v).ToArray()),
        CallNode { Function: "where" } w => ScalarWhere(Scalar(w.Arguments[0], values), Scalar(w.Arguments[1], values), Scalar(w.Arguments[2], values)),
        CallNode c => ScalarCall(c.Function, ScalarArguments(c, values)),
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private float[] ScalarArguments(CallNode c, ReadOnlySpan<float> values)
    {
        var args = new float[c.Arguments.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = Scalar(c.Arguments[i], values);
        }

        return args;
    }

    private static float ScalarWhere(float c, float a, float b) => float.IsNaN(c) ? float.NaN : c != 0 ? a : b;

    private static float ScalarBinary(string op, float a, float b) => op switch
    {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "^" => MathF.Pow(a, b),
        "<" => ComparisonOps.Less.Invoke(a, b),
        "<=" => ComparisonOps.LessOrEqual.Invoke(a, b),
        ">" => ComparisonOps.Greater.Invoke(a, b),
        ">=" => ComparisonOps.GreaterOrEqual.Invoke(a, b),
        "==" => ComparisonOps.Equal.Invoke(a, b),
        "!=" => ComparisonOps.NotEqual.Invoke(a, b),
        "&&" => ComparisonOps.And.Invoke(a, b),
        "||" => ComparisonOps.Or.Invoke(a, b),
        _ => throw new InvalidOperationException(op),
    };

    private static float ScalarCall(string function, float[] a) => function switch
    {
        "abs" => MathF.Abs(a[0]),
        "sqrt" => MathF.Sqrt(a[0]),
        "exp" => MathF.Exp(a[0]),
        "log" => MathF.Log(a[0]),
        "isnull" => float.IsNaN(a[0]) ? 1 : 0,
        // Math.Min/Max propagate NaN, as TensorPrimitives does.
        "min" => MathF.Min(a[0], a[1]),
        "max" => MathF.Max(a[0], a[1]),
        "pow" => MathF.Pow(a[0], a[1]),
        "clamp" => MathF.Min(MathF.Max(a[0], a[1]), a[2]),
        _ => throw new InvalidOperationException(function),
    };

    private static void Collect(Node node, List<string> variables)
    {
        switch (node)
        {
            case VariableNode v when !variables.Contains(v.Name):
                variables.Add(v.Name);
                break;
            case UnaryNode u:
                Collect(u.Operand, variables);
                break;
            case BinaryNode b:
                Collect(b.Left, variables);
                Collect(b.Right, variables);
                break;
            case CallNode c:
                foreach (var a in c.Arguments)
                {
                    Collect(a, variables);
                }

                break;
        }
    }
}
