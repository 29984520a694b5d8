//! The store's products, loaded once from the derived `products.csv`.
//!
//! See `catalogue/README.md` for where the rows come from. The server keeps the whole list in
//! memory (5.4k rows), most popular first.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, ensure, Context};
use serde::Deserialize;

/// One product, with the catalogue's own values (they go into the DOM contract unchanged).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Product {
    /// The REES46 `product_id`.
    #[serde(rename = "product_id")]
    pub id: String,
    /// The REES46 `category_code`, or its `category_id` where the code is empty.
    #[serde(rename = "category_code")]
    pub category: String,
    /// Lowercase brand; empty when the source has none.
    pub brand: String,
    /// Unit price.
    pub price: f64,
    /// A readable name made from brand, category and id.
    pub name: String,
    /// Events on this product in the source slice.
    pub popularity: u32,
}

impl Product {
    /// The first segment of the category path: `electronics` for `electronics.smartphone`.
    pub fn top_category(&self) -> &str {
        vitrine::event::top_category(&self.category)
    }

    /// Whether the category is a real code rather than a bare numeric `category_id`.
    pub fn has_category_code(&self) -> bool {
        !self.category.bytes().all(|b| b.is_ascii_digit())
    }
}

/// All products, most popular first (ties by product id), with a lookup by id.
#[derive(Debug)]
pub struct Catalogue {
    products: Vec<Product>,
    by_id: HashMap<String, usize>,
}

impl Catalogue {
    /// Reads the catalogue file.
    ///
    /// # Errors
    /// A missing or unreadable file, or any row that [`Catalogue::from_csv`] rejects.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("opening the catalogue {}", path.display()))?;
        Catalogue::from_csv(file).with_context(|| format!("reading {}", path.display()))
    }

    /// Parses catalogue CSV.
    ///
    /// # Errors
    /// A row that does not parse, an empty id or category, a negative or non-finite price, a
    /// duplicate id, or no rows at all; the message names the row.
    pub fn from_csv(reader: impl Read) -> anyhow::Result<Self> {
        let mut products = Vec::new();
        for (i, row) in csv::Reader::from_reader(reader)
            .deserialize::<Product>()
            .enumerate()
        {
            // Row 1 is the header, so data row i is on line i + 2.
            let line = i + 2;
            let product = row.with_context(|| format!("line {line}"))?;
            ensure!(!product.id.is_empty(), "line {line}: empty product_id");
            ensure!(
                !product.category.is_empty(),
                "line {line}: empty category_code"
            );
            ensure!(
                product.price.is_finite() && product.price >= 0.0,
                "line {line}: price must be a non-negative number, got {}",
                product.price
            );
            products.push(product);
        }
        if products.is_empty() {
            bail!("the catalogue has no products");
        }

        products.sort_by(|a, b| {
            b.popularity
                .cmp(&a.popularity)
                .then_with(|| id_order(&a.id).cmp(&id_order(&b.id)))
        });
        let mut by_id = HashMap::with_capacity(products.len());
        for (index, product) in products.iter().enumerate() {
            if by_id.insert(product.id.clone(), index).is_some() {
                bail!("product_id {} appears twice", product.id);
            }
        }
        Ok(Catalogue { products, by_id })
    }

    /// Every product, most popular first.
    pub fn by_popularity(&self) -> &[Product] {
        &self.products
    }

    /// The product with this id.
    pub fn get(&self, id: &str) -> Option<&Product> {
        self.by_id.get(id).map(|&i| &self.products[i])
    }

    /// Number of products.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// Always false: a catalogue without products fails to load.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }
}

/// Numeric ids compare as numbers (`"99" < "100"`) without assuming they are numbers.
fn id_order(id: &str) -> (usize, &str) {
    (id.len(), id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
product_id,category_code,brand,price,name,popularity
100,electronics.smartphone,apple,1081.98,Apple smartphone 0100,7
99,2053013552326770905,,33.20,Item 0099,7
5,furniture.living_room.sofa,,543.10,Sofa 0005,12
";

    #[test]
    fn loads_most_popular_first_with_numeric_tie_breaks() {
        let catalogue = Catalogue::from_csv(SAMPLE.as_bytes()).unwrap();
        let ids: Vec<_> = catalogue
            .by_popularity()
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(ids, ["5", "99", "100"]);
        let phone = catalogue.get("100").unwrap();
        assert_eq!(
            (phone.top_category(), phone.price),
            ("electronics", 1081.98)
        );
        assert!(!catalogue.get("99").unwrap().has_category_code());
    }

    #[test]
    fn bad_rows_are_named() {
        let negative = SAMPLE.replace("33.20", "-1");
        let err = format!(
            "{:#}",
            Catalogue::from_csv(negative.as_bytes()).unwrap_err()
        );
        assert!(err.contains("line 3") && err.contains("price"), "{err}");

        let twice = format!("{SAMPLE}5,kids.toys,,1.00,Toys 0005,1\n");
        let err = Catalogue::from_csv(twice.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("product_id 5 appears twice"), "{err}");
    }

    #[test]
    fn the_committed_catalogue_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue/products.csv");
        let catalogue = Catalogue::load(&path).unwrap();
        assert!(catalogue.len() > 5_000, "{} products", catalogue.len());
        assert!(catalogue.get("1004237").is_some());
    }
}
