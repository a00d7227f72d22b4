//! The model readers (`relu-net/v1` networks and `learners::Model`,
//! including `kernel-model/v1`): any text gives a model or an error; a
//! network that is accepted round-trips through its JSON and predicts
//! finite values.
#![no_main]

use faer::{Mat, Par};
use libfuzzer_sys::fuzz_target;
use relu_net::Network;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(net) = Network::from_json(text) {
        let again = Network::from_json(&net.to_json()).expect("a network's own JSON reads back");
        assert_eq!(net, again);
        if net.n_params() <= 100_000 {
            let x = Mat::from_fn(2, net.input_dim(), |i, j| (i + j) as f64 * 0.25 - 1.0);
            let y = net.predict(x.as_ref(), Par::Seq).expect("shapes agree");
            assert!(y.iter().all(|v| !v.is_nan()));
        }
    }
    if let Ok(model) = learners::Model::from_json(text) {
        let again = learners::Model::from_json(&model.to_json()).expect("a model's own JSON reads back");
        assert_eq!(model, again);
    }
});
