namespace GeoRisk.Core.Layers;

public enum FieldKind
{
    Integer,
    Real,
    Text,
    Date,
    /// <summary>An integer grade 1..N, also accepted as a named class (低/中/高/极高, low/medium/high/very high).</summary>
    Grade,
}

/// <summary>A schema field and the names field teams commonly give it (pinyin initials, Chinese, English).</summary>
public sealed record SchemaField(string Name, FieldKind Kind, bool Required, IReadOnlyList<string> Synonyms, double? Min = null, double? Max = null);

public enum GeometryFamily
{
    None,
    Point,
    Line,
    Polygon,
    Any,
}

/// <summary>The attribute schema of a layer kind. Values are data, so a bureau can extend the synonym lists.</summary>
public sealed record LayerSchema(LayerKind Kind, GeometryFamily Geometry, IReadOnlyList<SchemaField> Fields)
{
    public static LayerSchema For(LayerKind kind) => Hazards(kind) ?? Faults(kind) ?? Exposure(kind) ?? Reference(kind);

    /// <summary>Hazard zonings and points.</summary>
    private static LayerSchema? Hazards(LayerKind kind) => kind switch
    {
        LayerKind.HazardZones => new(kind, GeometryFamily.Polygon,
        [
            new(
                "grade",
                FieldKind.Grade,
                Required: true,
                [
                    "grade", "class", "level", "yfxdj", "yfdj", "wxxdj", "fxdj", "dj",
                    "易发等级", "易发性等级", "危险性等级", "风险等级", "等级",
                ],
                1,
                4),
            new("grade_name", FieldKind.Text, Required: false, ["grade_name", "class_name", "djmc", "等级名称", "分区名称"]),
            new("zone_id", FieldKind.Text, Required: false, ["zone_id", "zqbh", "fqbh", "分区编号", "编号"]),
        ]),
        LayerKind.HazardPoints => new(kind, GeometryFamily.Any,
        [
            new("point_id", FieldKind.Text, Required: false, ["point_id", "id", "tybh", "bh", "统一编号", "编号", "野外编号"]),
            new("hazard_type", FieldKind.Text, Required: true, ["hazard_type", "type", "zhlx", "lx", "灾害类型", "类型"]),
            new("volume_m3", FieldKind.Real, Required: false, ["volume_m3", "volume", "tj", "tj_m3", "gm", "体积", "规模"], 0),
            new("threatened_people", FieldKind.Integer, Required: false, ["threatened_people", "people", "wxrk", "rk", "威胁人口", "威胁人数"], 0),
            new("threatened_property_cny", FieldKind.Real, Required: false, ["threatened_property_cny", "property", "wxcc", "威胁财产"], 0),
            new("stability", FieldKind.Text, Required: false, ["stability", "state", "wdx", "稳定性", "稳定状态"]),
            new("last_inspected", FieldKind.Date, Required: false, ["last_inspected", "xcrq", "inspected", "巡查日期", "调查日期"]),
        ]),
        LayerKind.FloodZones => new(kind, GeometryFamily.Polygon,
        [
            new("return_period_yr", FieldKind.Integer, Required: true, ["return_period_yr", "return_period", "rp", "cxq", "重现期"], 1, 10000),
            new("depth_m", FieldKind.Real, Required: false, ["depth_m", "depth", "max_depth", "ss", "水深", "淹没水深"], 0, 100),
            new("velocity_m_s", FieldKind.Real, Required: false, ["velocity_m_s", "velocity", "ls", "流速"], 0, 50),
        ]),
        LayerKind.PgaZoning => new(kind, GeometryFamily.Polygon,
        [
            new("pga_g", FieldKind.Real, Required: true, ["pga_g", "pga", "fzjsd", "峰值加速度", "地震动峰值加速度"], 0, 2),
        ]),
        _ => null,
    };

    /// <summary>Active faults.</summary>
    private static LayerSchema? Faults(LayerKind kind) => kind switch
    {
        // Fault compilations (GEM GAF-DB, HimaTibetMap) and survey deliveries: identity, kinematics, activity and how
        // well the trace is located (docs/DOMAIN.md §6). GEM keeps fold axes in slip_type; see FaultTrace.
        LayerKind.ActiveFaults => new(kind, GeometryFamily.Line,
        [
            new("fault_id", FieldKind.Text, Required: false, ["fault_id", "catalog_id", "fid", "ogc_fid", "dcbh", "断层编号", "编号"]),
            new("name", FieldKind.Text, Required: false, ["name", "fz_name", "fault_name", "dcmc", "断层名称", "名称"]),
            new("source", FieldKind.Text, Required: false, ["source", "catalog_name", "catalog", "reference", "zlly", "资料来源", "来源"]),
            new("structure", FieldKind.Text, Required: false, ["structure", "structure_type", "gzlx", "构造类型"]),
            new("sense", FieldKind.Text, Required: false, ["sense", "slip_type", "type", "xz", "性质", "断层性质"]),
            new(
                "latest_activity",
                FieldKind.Text,
                Required: false,
                ["latest_activity", "last_movement", "activity", "hdsd", "最新活动时代", "活动时代"]),
            // Text: GEM writes rates as "(most-likely,min,max)" tuples; FaultTrace reads the most-likely value.
            new("slip_rate_mm_a", FieldKind.Text, Required: false, ["slip_rate_mm_a", "net_slip_rate", "slip_rate", "hdsl", "滑动速率"]),
            new(
                "location_accuracy_m",
                FieldKind.Real,
                Required: false,
                ["location_accuracy_m", "positional_uncertainty_m", "location_accuracy", "dwjd", "定位精度"],
                0),
            new("source_scale", FieldKind.Real, Required: false, ["source_scale", "accuracy", "map_scale", "blc", "比例尺分母"], 1),
            new("buried_depth_m", FieldKind.Real, Required: false, ["buried_depth_m", "overburden_thickness_m", "overburden_m", "fgchd", "覆盖层厚度"], 0),
        ]),
        _ => null,
    };

    /// <summary>Exposure layers.</summary>
    private static LayerSchema? Exposure(LayerKind kind) => kind switch
    {
        // Exposure (承灾体), docs/DOMAIN.md §11: the field names of the national census's building and population surveys
        // (pinyin initials and Chinese) and of common English/OSM extracts.
        LayerKind.Buildings => new(kind, GeometryFamily.Any,
        [
            new("building_id", FieldKind.Text, Required: false, ["building_id", "bldg_id", "jzbh", "fwbh", "建筑编号", "房屋编号", "编号", "id"]),
            new("structure", FieldKind.Text, Required: false, ["structure", "structure_type", "jglx", "fwjg", "结构类型", "房屋结构", "结构"]),
            new(
                "floors",
                FieldKind.Integer,
                Required: false,
                ["floors", "storeys", "levels", "building_levels", "jzcs", "cs", "层数", "建筑层数"],
                1,
                200),
            new("floor_area_m2", FieldKind.Real, Required: false, ["floor_area_m2", "floor_area", "jzmj", "建筑面积"], 0),
            new("use", FieldKind.Text, Required: false, ["use", "usage", "jzyt", "fwyt", "yt", "用途", "建筑用途", "房屋用途"]),
            new("occupants_day", FieldKind.Integer, Required: false, ["occupants_day", "day_occupants", "rkbt", "白天人口", "日间人口"], 0),
            new(
                "occupants_night",
                FieldKind.Integer,
                Required: false,
                ["occupants_night", "night_occupants", "occupants", "rkye", "jzrk", "夜间人口", "居住人口"],
                0),
            new("seismic_category", FieldKind.Text, Required: false, ["seismic_category", "sflb", "设防类别", "抗震设防类别"]),
        ]),
        LayerKind.Population => new(kind, GeometryFamily.Polygon,
        [
            new("unit_code", FieldKind.Text, Required: false, ["unit_code", "code", "dwdm", "统计单元代码", "区划代码"]),
            new("unit_name", FieldKind.Text, Required: false, ["unit_name", "name", "dwmc", "统计单元名称", "名称"]),
            new(
                "population",
                FieldKind.Integer,
                Required: true,
                ["population", "pop", "total_pop", "zrk", "rks", "rk", "总人口", "常住人口", "人口数", "人口"],
                0),
            new("population_day", FieldKind.Integer, Required: false, ["population_day", "day_pop", "brk", "白天人口"], 0),
            new("population_night", FieldKind.Integer, Required: false, ["population_night", "night_pop", "yrk", "夜间人口"], 0),
        ]),
        LayerKind.Roads => new(kind, GeometryFamily.Line,
        [
            new(
                "road_class",
                FieldKind.Text,
                Required: false,
                ["road_class", "class", "fclass", "highway", "dldj", "gldj", "jsdj", "道路等级", "公路等级", "技术等级", "等级"]),
            new("name", FieldKind.Text, Required: false, ["name", "dlmc", "lxmc", "道路名称", "路线名称", "名称"]),
            new("road_id", FieldKind.Text, Required: false, ["road_id", "lxbh", "路线编号", "编号"]),
        ]),
        LayerKind.Facilities => new(kind, GeometryFamily.Any,
        [
            new("facility_type", FieldKind.Text, Required: true, ["facility_type", "type", "amenity", "sslx", "lx", "设施类型", "类型"]),
            new("name", FieldKind.Text, Required: false, ["name", "ssmc", "mc", "设施名称", "名称"]),
            new("capacity", FieldKind.Integer, Required: false, ["capacity", "rl", "gm", "容量", "规模", "床位数", "学生数"], 0),
            new("facility_id", FieldKind.Text, Required: false, ["facility_id", "ssbh", "设施编号", "编号", "id"]),
        ]),
        _ => null,
    };

    /// <summary>Admin units, water and survey coverage; the empty schema for any other kind.</summary>
    private static LayerSchema Reference(LayerKind kind) => kind switch
    {
        LayerKind.AdminUnits => new(kind, GeometryFamily.Polygon,
        [
            new("code", FieldKind.Text, Required: true, ["code", "adcode", "xzqdm", "行政区代码", "区划代码"]),
            new("name", FieldKind.Text, Required: true, ["name", "name_zh", "xzqmc", "名称", "行政区名称"]),
            new("name_en", FieldKind.Text, Required: false, ["name_en", "english_name"]),
        ]),
        LayerKind.Lakes or LayerKind.Rivers => new(kind, kind == LayerKind.Lakes ? GeometryFamily.Polygon : GeometryFamily.Line,
        [
            new("name", FieldKind.Text, Required: false, ["name", "名称"]),
        ]),
        LayerKind.SurveyCoverage => new(kind, GeometryFamily.Polygon, []),
        _ => new(kind, GeometryFamily.None, []),
    };
}
